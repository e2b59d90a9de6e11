"""The mc_maze dataset: reading, binning and trial sets on a small NWB file the tests write, its errors,
and the pinned DANDI download (with a stand-in client: there is no network here)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from support.maze_nwb import TYPE_ANGLES, write_maze_nwb
from ner_bench import NerBenchError
from ner_bench.builtins.datasets import _dandi_fetch
from ner_bench.builtins.datasets._maze_nwb import read_maze_nwb
from ner_bench.builtins.datasets.mc_maze import PUBLISHED_TRIAL_SETS, McMaze, TrialSet


def load(path, **options):
    return {r.area: r for r in McMaze(path=str(path), **options).load()}


def test_one_recording_per_area_with_the_set_s_trials(maze_nwb):
    recordings = load(maze_nwb, trial_set="straight-curved-13-38-18", combined=True)
    assert sorted(recordings) == ["M1", "M1+PMd", "PMd"]
    m1, pmd, both = recordings["M1"], recordings["PMd"], recordings["M1+PMd"]
    assert (m1.n_neurons, pmd.n_neurons, both.n_neurons) == (10, 10, 20)
    assert m1.meta["area_rule"] == "unit-id"
    assert all(u // 1000 == 2 for u in m1.meta["unit_ids"]) and all(u // 1000 == 1 for u in pmd.meta["unit_ids"])
    columns = [both.meta["unit_ids"].index(u) for u in m1.meta["unit_ids"] + pmd.meta["unit_ids"]]
    assert np.array_equal(both.neural[:, columns], np.hstack([m1.neural, pmd.neural]))
    assert m1.trial_length == 100 and m1.bin_size == 0.005 and m1.n_trials == 3 * 3 * 6
    assert m1.meta["conditions"] == ["13-straight", "13-curved", "38-straight", "38-curved", "18-straight",
                                     "18-curved"]
    for trial, direction in zip(m1.trial_ids, m1.trial_direction):
        info = m1.meta["trial_conditions"][int(trial)]
        assert m1.meta["conditions"][direction] == info["condition"]
        assert (info["reach"] == "straight") == (info["trial_version"] == 0)


def test_trial_ids_are_the_file_s_and_survive_select_trials(maze_nwb):
    m1 = load(maze_nwb, trial_set="straight-curved-13")["M1"]
    session = read_maze_nwb(maze_nwb)
    types_by_id = dict(zip(session.trials["id"].tolist(), session.trials["trial_type"].tolist()))
    assert all(types_by_id[int(t)] == 13 for t in m1.trial_ids)
    part = m1.select_trials(m1.trial_ids[-3:])
    assert all(int(t) in part.meta["trial_conditions"] for t in part.trial_ids)


def test_unsmoothed_bins_count_the_spikes_of_the_window(maze_nwb):
    rec = load(maze_nwb, trial_set="curved-37-1", smooth_sd_ms=0.0)["PMd"]
    session = read_maze_nwb(maze_nwb)
    row = int(np.flatnonzero(session.trials["id"] == rec.trial_ids[4])[0])
    onset = session.trials["move_onset_time"][row]
    pmd_units = np.flatnonzero(session.unit_areas == "PMd")
    edges = onset - 0.05 + 0.005 * np.arange(101)
    expected = np.stack([np.histogram(session.spike_times[u], edges)[0] for u in pmd_units], axis=1)
    assert np.array_equal(rec.neural[rec.trial == rec.trial_ids[4]], expected)


def test_smoothing_keeps_the_rate_and_removes_bin_to_bin_noise(maze_nwb):
    raw = load(maze_nwb, trial_set="curved-37-1", smooth_sd_ms=0.0)["M1"].neural
    smooth = load(maze_nwb, trial_set="curved-37-1")["M1"].neural
    assert smooth.mean() == pytest.approx(raw.mean(), rel=0.1)
    assert np.abs(np.diff(smooth, axis=0)).mean() < 0.1 * np.abs(np.diff(raw, axis=0)).mean()


def test_behaviour_in_cm_and_reach_angles_from_targets(maze_nwb):
    rec = load(maze_nwb, trial_set="straight-curved-13-38-18")["M1"]
    straight = np.isin(rec.trial, [t for t, i in rec.meta["trial_conditions"].items() if i["reach"] == "straight"])
    straight_trials = straight[rec.time_in_trial == 0]
    moved = (rec.position[rec.time_in_trial == 99] - rec.position[rec.time_in_trial == 10])[straight_trials]
    assert np.allclose(np.linalg.norm(moved, axis=1), 10.0, atol=0.1)  # 100-mm reaches, in cm
    integrated = rec.velocity.reshape(rec.n_trials, 100, 2)[straight_trials, 10:99].sum(axis=1) * rec.bin_size
    assert np.allclose(integrated, moved, atol=0.3)  # velocity in cm/s
    assert rec.meta["angle_source"] == "target" and not rec.position_derived
    for trial, angle in zip(rec.trial_ids, rec.angle[rec.time_in_trial == 0]):
        expected = TYPE_ANGLES[rec.meta["trial_conditions"][int(trial)]["trial_type"]]
        assert abs((angle - expected + 180) % 360 - 180) < 3.0


def test_files_without_velocity_or_targets_or_nlb_unit_ids(tmp_path, maze_nwb):
    reference = load(maze_nwb, trial_set="straight-curved-13")["M1"]
    path = write_maze_nwb(tmp_path / "plain.nwb", nlb_unit_ids=False, with_targets=False, with_hand_vel=False)
    rec = load(path, trial_set="straight-curved-13")["M1"]
    assert rec.meta["area_rule"] == "electrode" and rec.meta["unit_ids"] == list(range(10, 20))
    assert rec.meta["angle_source"] == "class*45" and set(rec.angle) == {0.0, 45.0}
    assert np.abs(rec.velocity - reference.velocity).max() < 0.5  # derived from hand_pos instead
    assert np.array_equal(rec.position, reference.position)


def test_curved_versions_option(maze_nwb):
    only_one_target = load(maze_nwb, trial_set="curved-37-1", curved_versions=[1])["M1"]
    both_versions = load(maze_nwb, trial_set="curved-37-1")["M1"]
    assert {i["trial_version"] for i in only_one_target.meta["trial_conditions"].values()} == {1}
    assert both_versions.n_trials == 2 * only_one_target.n_trials
    with pytest.raises(NerBenchError, match="curved_versions"):
        load(maze_nwb, curved_versions=[0, 1])


@pytest.mark.parametrize("name", PUBLISHED_TRIAL_SETS)
def test_published_trial_sets_parse(name):
    trial_set = TrialSet.parse(name)
    assert trial_set.reaches in (("straight", "curved"), ("curved",)) and trial_set.types


@pytest.mark.parametrize("trial_set, message", [
    ("straight-curved-99", "trial set 'straight-curved-99' selects no trials"),
    ("straight-curved-13-99", "no trials of condition.*99-straight, 99-curved"),
    ("straight-13", "one condition only"),
    ("zigzag-13", "not a trial set.*straight-curved-13-38-18"),
])
def test_trial_sets_that_select_nothing_usable_fail_clearly(maze_nwb, trial_set, message):
    with pytest.raises(NerBenchError, match=message):
        load(maze_nwb, trial_set=trial_set)


def test_missing_and_non_nwb_files_fail_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere.nwb"
    with pytest.raises(NerBenchError, match=f"{missing} does not exist"):
        load(missing)
    pytest.importorskip("pynwb")  # telling a non-NWB file needs the reader
    text = tmp_path / "notes.nwb"
    text.write_text("not an NWB file\n")
    with pytest.raises(NerBenchError, match=f"{text} is not an NWB"):
        load(text)
    h5py = pytest.importorskip("h5py")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as handle:
        handle["x"] = np.arange(3)
    with pytest.raises(NerBenchError, match=str(plain)):
        load(plain)


# ----------------------------------------------------------------------------- finding and downloading
def test_the_file_is_found_in_the_data_folder(tmp_path, maze_nwb):
    (tmp_path / _dandi_fetch.FILE_NAME).symlink_to(maze_nwb)
    recordings = McMaze(data_dir=tmp_path, trial_set="straight-curved-13").load()
    assert {r.area for r in recordings} == {"M1", "PMd"}


def test_data_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_BENCH_DATA", str(tmp_path))
    assert _dandi_fetch.data_home() == tmp_path
    assert _dandi_fetch.data_home(tmp_path / "given") == tmp_path / "given"


def test_missing_file_without_download_names_the_dandi_command(tmp_path):
    with pytest.raises(NerBenchError, match='dandi download "dandi://dandi/000128@0.220113.0400/sub-Jenkins/'):
        McMaze(data_dir=tmp_path, download=False).load()


class FakeAsset:
    def __init__(self, content: bytes, digest: str):
        self.content, self.digest = content, digest

    def get_raw_metadata(self):
        return {"digest": {"dandi:sha2-256": self.digest}}

    def download(self, path):
        with open(path, "wb") as stream:
            stream.write(self.content)


def fake_dandi(monkeypatch, asset=None, error=None):
    calls = []

    class Client:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def get_dandiset(self, dandiset_id, version):
            calls.append((dandiset_id, version))
            if error:
                raise error
            return types.SimpleNamespace(get_asset_by_path=lambda path: calls.append(path) or asset)

    module = types.ModuleType("dandi.dandiapi")
    module.DandiAPIClient = Client
    monkeypatch.setitem(sys.modules, "dandi.dandiapi", module)
    return calls


def test_download_asks_for_the_pinned_asset_and_verifies_it(tmp_path, monkeypatch):
    import hashlib

    content = b"nwb bytes"
    calls = fake_dandi(monkeypatch, FakeAsset(content, hashlib.sha256(content).hexdigest()))
    path = _dandi_fetch.find_or_fetch(tmp_path)
    assert calls == [("000128", "0.220113.0400"), "sub-Jenkins/sub-Jenkins_ses-full_desc-train_behavior+ecephys.nwb"]
    assert path == tmp_path / "000128" / _dandi_fetch.ASSET_PATH and path.read_bytes() == content
    assert not list(path.parent.glob("*.part"))


def test_a_corrupt_download_is_rejected_and_removed(tmp_path, monkeypatch):
    fake_dandi(monkeypatch, FakeAsset(b"truncated", "0" * 64))
    with pytest.raises(NerBenchError, match="corrupt"):
        _dandi_fetch.find_or_fetch(tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_offline_download_fails_clearly(tmp_path, monkeypatch):
    fake_dandi(monkeypatch, error=ConnectionError("Failed to resolve 'api.dandiarchive.org'"))
    with pytest.raises(NerBenchError, match="could not download DANDI:000128/0.220113.0400.*ConnectionError.*"
                                            'dandi download "dandi://dandi/000128@0.220113.0400/'):
        McMaze(data_dir=tmp_path).load()


def test_download_without_the_dandi_client_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dandi.dandiapi", None)
    with pytest.raises(NerBenchError, match=r'pip install "ner-bench\[maze\]"'):
        _dandi_fetch.find_or_fetch(tmp_path)


@pytest.mark.integration
def test_the_real_mc_maze_file_when_at_hand():
    """Checks the assumptions about the real file (areas from unit ids, versions, units) where it is."""
    found = [p for p in _dandi_fetch.local_candidates(_dandi_fetch.data_home()) if p.is_file()]
    if not found:
        pytest.skip("the MC_Maze file is not at hand (put it under $NER_BENCH_DATA)")
    recordings = load(found[0], trial_set="straight-curved-13-38-18")
    assert recordings["M1"].n_neurons + recordings["PMd"].n_neurons == 182
    assert min(recordings["M1"].n_neurons, recordings["PMd"].n_neurons) >= 20  # both arrays found
    m1 = recordings["M1"]
    counts = np.bincount(m1.trial_direction)
    assert len(counts) == 6 and counts.min() >= 10
    speed = np.linalg.norm(m1.velocity, axis=1).reshape(m1.n_trials, -1).max(axis=1)
    assert 10 < np.median(speed) < 300  # cm/s
    first = m1.angle[m1.time_in_trial == 0]
    for trial_type in (13, 38, 18):
        of_type = [first[k] for k, t in enumerate(m1.trial_ids)
                   if m1.meta["trial_conditions"][int(t)]["trial_type"] == trial_type]
        spread = np.abs((np.array(of_type) - of_type[0] + 180) % 360 - 180)
        assert spread.max() < 10  # straight and curved versions share the target
