"""The `reaching` dataset: the release's format and quirks (tiny .mat files written here), file lookup,
downloads (from a local HTTP server), bad files, `ner-bench data`, and the real release when at hand."""

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from ner_bench import NerBenchError, RecordingError
from ner_bench.builtins.datasets._release_format import direction_classes
from ner_bench.builtins.datasets.reaching import Reaching
from ner_bench.cli import main
from ner_bench.download import DataFileError, MissingFilesError, git_blob_sha1, sha256

CHEWIE = [0, 45, 90, 135, -180, -135, -90, -45]
MIHILI = [0, 45, 90, 135, 180, -135, -90, -45]  # 2014-02-18 writes +180 (its codes run a class ahead)
HAN = [0, 45, 90, 135, 180, 225, 270, 315]
FILE = "data/{folder}/{session}_neural_con_dis_index.mat"
SESSIONS = {  # session -> (folder, degrees, areas, t_dur written in the file)
    "Chewie_20150629": ("SU_16M1", CHEWIE, ("M1",), None),
    "Chewie_20160929": ("SU_16M1", CHEWIE, ("M1", "PMd"), None),
    "Mihili_20140218": ("SU_16M1", MIHILI, ("M1", "PMd"), None),
    "Han_20171201": ("SU_3S1", HAN, ("S1",), 35),
}
PMD_COPIES = ("Chewie_20160929", "Mihili_20140218")  # also listed under SU_12PMd, as in the release


def path_of(session: str, folder: str | None = None) -> str:
    return FILE.format(folder=folder or SESSIONS[session][0], session=session)


def session_contents(session: str, seed: int = 0, trials_per_direction: int = 2) -> dict:
    _, degrees, areas, t_dur = SESSIONS[session]
    trial_length = t_dur or 40
    n_bins = len(degrees) * trials_per_direction * trial_length
    rng = np.random.default_rng(seed)
    contents = {"continuous_index": rng.normal(0, 5, (n_bins, 2)),
                "discrete_index": np.repeat(np.tile(degrees, trials_per_direction), trial_length)[:, None]
                .astype(np.uint16 if t_dur else np.int16)}
    for i, area in enumerate(areas):
        contents[f"neural_{area}"] = rng.random((n_bins, 3 + i))
    if t_dur:
        contents["t_dur"] = np.array([[t_dur]], dtype=np.uint8)
    return contents


def write_manifest(root: Path, manifest: Path, blank_sha256=("Han_20171201",)) -> Path:
    rows = ["path\tgit_blob_sha1\tsize_bytes\tsha256"]
    for session in SESSIONS:
        copies = [path_of(session)] + ([path_of(session, "SU_12PMd")] if session in PMD_COPIES else [])
        file = root / path_of(session)
        digest = "" if session in blank_sha256 else sha256(file)
        rows += [f"{p}\t{git_blob_sha1(file)}\t{file.stat().st_size}\t{digest}" for p in copies]
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


@pytest.fixture
def tiny(tmp_path):
    """A tiny release (4 files, 6 recordings) in ``tiny.root`` and its manifest."""
    class Tiny:
        root = tmp_path / "release"
        manifest = tmp_path / "manifest.tsv"

        def write(self, session: str, contents: dict) -> Path:
            path = self.root / path_of(session)
            path.parent.mkdir(parents=True, exist_ok=True)
            scipy.io.savemat(path, contents)
            return path

        def dataset(self, **options) -> Reaching:
            options.setdefault("data_dir", self.root)
            return Reaching(manifest=str(self.manifest), **options)

    release = Tiny()
    for session in SESSIONS:
        path = release.write(session, session_contents(session))
        if session in PMD_COPIES:
            (release.root / path_of(session, "SU_12PMd")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, release.root / path_of(session, "SU_12PMd"))
    write_manifest(release.root, release.manifest)
    return release


# ------------------------------------------------------------------------- format and quirks
def test_direction_codes_map_to_classes_in_both_conventions():
    for degrees in (CHEWIE, MIHILI, HAN):
        np.testing.assert_array_equal(direction_classes(np.array(degrees), "f"), np.arange(8))


def test_the_release_codes_of_mihili_0218_are_kept_on_request(tiny):
    kept = {r.id: r for r in tiny.dataset(directions="file").recordings()}
    for rec in kept.values():
        np.testing.assert_array_equal(rec.trial_direction, np.tile(np.arange(8), 2))
    corrected = {r.id: r for r in tiny.dataset().recordings()}
    assert corrected["Mihili_20140218_M1"].meta["direction_codes_shifted_degrees"] == -45
    assert corrected["Chewie_20150629_M1"].meta["direction_codes_shifted_degrees"] == 0
    with pytest.raises(NerBenchError, match="option 'directions': 'target' is not one of reach, file"):
        tiny.dataset(directions="target")


def test_recordings_of_a_tiny_release(tiny):
    recordings = {r.id: r for r in tiny.dataset().recordings()}
    assert list(recordings) == ["Chewie_20150629_M1", "Chewie_20160929_M1", "Chewie_20160929_PMd",
                                "Han_20171201_S1", "Mihili_20140218_M1", "Mihili_20140218_PMd"]
    assert [r.hemisphere for r in recordings.values()] == ["right", "left", "left", "unknown", "unknown", "unknown"]
    for rec in recordings.values():
        session = rec.id.rsplit("_", 1)[0]
        contents = session_contents(session)
        ahead = 1 if session == "Mihili_20140218" else 0  # the file's code k is the reach to class k - 1
        np.testing.assert_array_equal(rec.trial_direction, np.tile((np.arange(8) - ahead) % 8, 2))
        np.testing.assert_array_equal(rec.angle, rec.direction * 45.0)
        np.testing.assert_array_equal(rec.velocity, contents["continuous_index"])
        np.testing.assert_allclose(rec.neural, contents[f"neural_{rec.area}"], rtol=1e-6)
        assert rec.trial_length == (35 if rec.subject == "Han" else 40) and rec.bin_size == 0.03
        assert rec.position_derived and rec.source == str(tiny.root / path_of(session))
        first = rec.time_in_trial == 0
        assert np.all(rec.position[first] == 0)
        np.testing.assert_allclose(np.diff(rec.position, axis=0)[~first[1:]], rec.velocity[1:][~first[1:]] * 0.03)
    assert recordings["Chewie_20160929_PMd"].n_neurons == 4 and recordings["Chewie_20160929_M1"].n_neurons == 3
    assert recordings["Han_20171201_S1"].date == "2017-12-01"


@pytest.mark.parametrize("sessions, expected", [
    (["2016-09-29"], ["Chewie_20160929_M1", "Chewie_20160929_PMd"]),
    (["20160929"], ["Chewie_20160929_M1", "Chewie_20160929_PMd"]),
    (["Chewie_20160929_PMd", "Han_20171201"], ["Chewie_20160929_PMd", "Han_20171201_S1"]),
])
def test_sessions_are_named_by_date_session_or_recording_id(tiny, sessions, expected):
    assert [r.id for r in tiny.dataset().recordings(sessions=sessions)] == expected


def test_an_empty_selection_names_what_exists(tiny):
    with pytest.raises(Exception, match=r"no recording matches.*Chewie.*Han.*Mihili"):
        tiny.dataset().recordings(subjects=["Jango"])


def test_an_unknown_missing_policy_is_rejected(tiny):
    with pytest.raises(Exception, match="option 'missing'.*auto, download, skip, error"):
        tiny.dataset(missing="sometimes")


# ------------------------------------------------------------------------- bad files
def _drop_key(c, key):
    del c[key]


def _nan_velocity(c):
    c["continuous_index"][45, 1] = np.nan


def _partial_trial(c):
    for key in ("continuous_index", "discrete_index", "neural_M1"):
        c[key] = c[key][:-3]


def _unknown_code(c):
    c["discrete_index"][80:120] = 30


def _direction_changes_in_a_trial(c):
    c["discrete_index"][5] = 90


@pytest.mark.parametrize("corrupt, message", [
    (lambda c: _drop_key(c, "continuous_index"), "missing key.*continuous_index.*the file holds"),
    (lambda c: _drop_key(c, "neural_M1"), "missing key.*neural_M1"),
    (_nan_velocity, "1 rows with NaN or infinite velocity, first at row 45"),
    (_partial_trial, "637 rows are not a whole number of 40-bin trials"),
    (_unknown_code, "unknown direction code.*30.*first at row 80"),
    (_direction_changes_in_a_trial, "'direction' changes within a trial"),
])
def test_bad_files_are_reported_with_their_path(tiny, corrupt, message):
    contents = session_contents("Chewie_20150629")
    corrupt(contents)
    path = tiny.write("Chewie_20150629", contents)
    write_manifest(tiny.root, tiny.manifest)  # the bad file is "the release's": only its content is wrong
    with pytest.raises(RecordingError, match=message) as error:
        tiny.dataset().recordings(sessions=["20150629"])
    assert str(path) in str(error.value)


def test_an_unreadable_file_is_reported_with_its_path(tiny):
    path = tiny.root / path_of("Chewie_20150629")
    path.write_bytes(path.read_bytes()[:300])
    write_manifest(tiny.root, tiny.manifest)
    with pytest.raises(RecordingError, match=f"{path}: not a readable MATLAB"):
        tiny.dataset().recordings(subjects=["Chewie"])


@pytest.mark.parametrize("session", ["Chewie_20150629", "Han_20171201"])  # with and without a sha256
def test_truncated_or_modified_files_are_rejected_by_a_run(tiny, session):
    path = tiny.root / path_of(session)
    content = path.read_bytes()
    path.write_bytes(content[:-10])
    with pytest.raises(DataFileError, match=f"{path}: has {len(content) - 10} bytes"):
        tiny.dataset().recordings()
    path.write_bytes(content[:200] + bytes([content[200] ^ 0xFF]) + content[201:])
    with pytest.raises(DataFileError, match=f"{path}: (sha256|git blob id) is .*modified"):
        tiny.dataset().recordings()


# ------------------------------------------------------------------------- missing files, downloads
def test_filters_download_only_the_files_they_select(tiny, serve_folder, tmp_path, monkeypatch):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    served = serve_folder(tiny.root)
    monkeypatch.setenv("NER_BENCH_DATA", str(tmp_path / "cache"))
    dataset = tiny.dataset(data_dir=None, base_url=served.url)
    assert [r.id for r in dataset.recordings(subjects=["Han"])] == ["Han_20171201_S1"]
    assert served.requests == [f"/{path_of('Han_20171201')}"]
    assert [r.id for r in dataset.recordings(areas=["PMd"], sessions=["20160929"])] == ["Chewie_20160929_PMd"]
    assert served.requests[1:] == [f"/{path_of('Chewie_20160929', 'SU_12PMd')}"]
    assert [r.id for r in dataset.recordings(sessions=["20160929"])] == ["Chewie_20160929_M1", "Chewie_20160929_PMd"]
    assert len(served.requests) == 2  # the M1 recording reads the copy already downloaded for PMd
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*.mat")) == [
        "Chewie_20160929_neural_con_dis_index.mat", "Han_20171201_neural_con_dis_index.mat"]


def test_an_explicit_data_dir_is_used_as_it_is_and_the_rest_listed(tiny, serve_folder, tmp_path, caplog):
    served = serve_folder(tiny.root)
    partial = tmp_path / "partial"
    for session in ("Chewie_20150629", "Han_20171201"):
        (partial / path_of(session)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tiny.root / path_of(session), partial / path_of(session))
    with caplog.at_level(logging.WARNING):
        recordings = tiny.dataset(data_dir=partial, base_url=served.url).recordings()
    assert [r.id for r in recordings] == ["Chewie_20150629_M1", "Han_20171201_S1"] and served.requests == []
    assert "2 file(s) holding 4 selected recording(s)" in caplog.text
    assert f"{served.url}/{path_of('Mihili_20140218')}" in caplog.text
    assert f"ner-bench data download --data-dir {partial}" in caplog.text


def test_offline_a_run_goes_on_with_the_files_at_hand(tiny, closed_port_url, tmp_path, caplog):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    (tiny.root / path_of("Chewie_20160929")).unlink()
    (tiny.root / path_of("Chewie_20160929", "SU_12PMd")).unlink()
    with caplog.at_level(logging.WARNING):
        recordings = tiny.dataset(missing="download", base_url=closed_port_url).recordings()
    assert len(recordings) == 4 and "network unavailable" in caplog.text
    with pytest.raises(MissingFilesError, match="network unavailable"):
        tiny.dataset(missing="error", base_url=closed_port_url).recordings()


def test_with_no_file_at_hand_the_error_says_what_to_fetch_and_where(tiny, tmp_path):
    empty = tmp_path / "empty"
    with pytest.raises(MissingFilesError) as error:
        tiny.dataset(data_dir=empty).recordings(subjects=["Han"])
    message = str(error.value)
    assert str(empty / path_of("Han_20171201")) in message
    assert f"https://raw.githubusercontent.com/NeuroscienceAI/NER/c8bdb72f25e9a4b90bdd2544f5e18654a73ee93a/" \
           f"{path_of('Han_20171201')}" in message
    assert "ner-bench data download" in message


# ------------------------------------------------------------------------- ner-bench data
def test_data_list_download_verify(tiny, serve_folder, tmp_path, capsys):
    pytest.importorskip("pooch")  # downloads go through pooch (the data extra)
    served = serve_folder(tiny.root)
    folder = tmp_path / "mine"
    args = ["--dataset", f"reaching[manifest={tiny.manifest},base_url={served.url}]", "--data-dir", str(folder)]
    assert main(["data", "list", *args]) == 0
    listing = capsys.readouterr().out
    assert "0 of 4 files at hand" in listing
    assert "Mihili_20140218_M1, Mihili_20140218_PMd" in listing
    assert main(["data", "download", *args, "--subjects", "Chewie"]) == 0
    assert main(["data", "list", *args]) == 0
    assert "2 of 4 files at hand (2 verified, 0 modified), 2 missing" in capsys.readouterr().out
    modified = folder / path_of("Chewie_20160929")
    content = modified.read_bytes()
    modified.write_bytes(content[:500] + b"\0" + content[501:] if content[500] else content[:500] + b"\1" + content[501:])
    assert main(["data", "verify", *args]) == 1
    out, err = capsys.readouterr()
    assert f"MODIFIED {modified}: sha256" in err and "1 verified, 1 modified, 2 missing" in out
    assert main(["data", "download", *args]) == 2  # a modified file is not overwritten without --force
    assert main(["data", "download", *args, "--force"]) == 0
    assert main(["data", "verify", *args]) == 0


def test_data_on_a_generated_dataset_is_an_error(capsys):
    assert main(["data", "list", "--dataset", "synthetic"]) == 2
    assert "no files" in capsys.readouterr().err


# ------------------------------------------------------------------------- the real release
REFERENCE = {  # reference-protocol.md section 1: neurons, trials, bins per trial, hemisphere
    "Chewie_20150629_M1": (49, 172, 40, "right"), "Chewie_20150630_M1": (44, 172, 40, "right"),
    "Chewie_20160929_M1": (74, 208, 40, "left"), "Chewie_20160929_PMd": (114, 208, 40, "left"),
    "Chewie_20161007_M1": (70, 168, 40, "left"), "Chewie_20161007_PMd": (137, 168, 40, "left"),
    "Han_20171201_S1": (70, 292, 35, "unknown"), "Han_20171204_S1": (83, 251, 35, "unknown"),
    "Han_20171207_S1": (72, 244, 35, "unknown"),
}


@pytest.mark.integration
def test_release_recordings_match_the_reference_table(release_dir):
    recordings = Reaching(data_dir=release_dir, missing="skip").recordings()
    found = {r.id: (r.n_neurons, r.n_trials, r.trial_length, r.hemisphere) for r in recordings}
    assert {k: v for k, v in found.items() if k in REFERENCE} == REFERENCE
    for rec in recordings:
        assert np.bincount(rec.trial_direction, minlength=8).min() > 0 and rec.position_derived


def reach_offsets(rec) -> np.ndarray:
    """Per direction class: degrees from the class's angle to its trials' mean hand velocity, in (-180, 180]."""
    angles = [np.degrees(np.arctan2(*rec.velocity[rec.direction == c].mean(axis=0)[::-1])) for c in range(8)]
    return (np.array(angles) - 45 * np.arange(8) + 180) % 360 - 180


@pytest.mark.integration
def test_every_direction_class_is_the_reach_it_names_on_real_recordings(release_dir):
    for rec in Reaching(data_dir=release_dir, missing="skip").recordings():
        assert np.abs(reach_offsets(rec)).max() < 30, (rec.id, reach_offsets(rec).round())
    as_written = Reaching(data_dir=release_dir, missing="skip", directions="file").recordings(sessions=["20140218"])
    for rec in as_written:  # the release's codes: every reach 45 degrees clockwise of its code
        np.testing.assert_allclose(reach_offsets(rec), -45, atol=6)


@pytest.mark.integration
def test_a_real_file_with_one_byte_changed_is_rejected(release_dir, tmp_path, capsys):
    relative = path_of("Chewie_20150630", "SU_16M1")
    copy = tmp_path / relative
    copy.parent.mkdir(parents=True)
    content = (release_dir / relative).read_bytes()
    copy.write_bytes(content[:4000] + bytes([content[4000] ^ 1]) + content[4001:])
    assert main(["data", "verify", "--data-dir", str(tmp_path), "--sessions", "20150630"]) == 1
    assert f"MODIFIED {copy}" in capsys.readouterr().err
    assert main(["run", "--dataset", "reaching", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert f"{copy}: sha256 is" in capsys.readouterr().err


@pytest.mark.integration
def test_pca_decodes_direction_well_above_chance_on_real_recordings(release_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--methods", "pca", "--dataset", "reaching", "--data-dir", str(release_dir),
                 "--sessions", "20150630,Chewie_20161007_PMd,Han_20171201", "--out", str(out)]) == 0
    table = pd.read_csv(out / "results.csv")
    peak = table[(table.decoder == "logistic") & (table.metric == "peak_accuracy") & (table.split == "test")]
    peak = peak.set_index("test_unit")["value"]
    assert sorted(peak.index) == ["Chewie_20150630_M1", "Chewie_20161007_PMd", "Han_20171201_S1"]
    assert (peak > 2 * 0.125).all(), peak
