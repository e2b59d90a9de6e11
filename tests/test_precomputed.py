from pathlib import Path

import numpy as np
import pytest

import ner_bench as nb
from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.builtins.methods.precomputed import Precomputed, parse_file_name


#: reference-protocol.md section 6: train vel, train pos, test vel (correct order), test vel (published,
#: swapped), test pos
SECTION_6 = {("NER", "Chewie_20150629_M1"): (0.810, 0.950, 0.681, 0.548, 0.891),
             ("NER", "Chewie_20150630_M1"): (0.802, 0.959, 0.736, 0.603, 0.909),
             ("Cebra", "Chewie_20150629_M1"): (0.237, 0.783, 0.188, -2.939, 0.723),
             ("Cebra", "Chewie_20150630_M1"): (0.275, 0.828, 0.263, -2.211, 0.793)}


@pytest.mark.parametrize("name, expected", [
    ("Chewie_150629_embed_20000itr_M1.npz", ("Chewie", "2015-06-29", "M1")),
    ("Chewie_20161007_embed_20000itr_M10.npz", ("Chewie", "2016-10-07", "M10")),
    ("Han_201171204_embed_S1.npz", ("Han", "2017-12-04", "S1")),
    ("Chewie_161007_embed_PMd.npz", ("Chewie", "2016-10-07", "PMd"))])
def test_release_file_names_are_read(name, expected):
    info = parse_file_name(Path(name))
    assert (info["subject"], info["date"], info["area"]) == expected


def write_release_file(folder: Path, recording, embedding, name="Toy_260105_embed_20000itr_M1.npz", **changes):
    split = chronological_split(recording)
    n_train = len(split.train(recording).trial)
    labels = recording.labels
    arrays = dict(cebra_veldir_train=embedding[:n_train], cebra_veldir_test=embedding[n_train:],
                  continuous_index_train=labels[:n_train], continuous_index_test=labels[n_train:],
                  neural_train=recording.neural[:n_train], neural_test=recording.neural[n_train:])
    arrays.update(changes)
    np.savez(folder / name, **arrays)
    return folder / name


@pytest.fixture
def toy():
    return make_recording(n_trials=20, id="Toy_20260105_M1", subject="Toy", date="2026-01-05", area="M1")


def fit(method, recording):
    split = chronological_split(recording)
    return method.fit(split.train(recording), seed=0)


def test_precomputed_returns_the_files_embedding(tmp_path, toy):
    embedding = np.random.default_rng(0).normal(size=(toy.n_bins, 3))
    write_release_file(tmp_path, toy, embedding)
    write_release_file(tmp_path, toy, embedding, name="Toy_260106_embed_20000itr_M1.npz")  # another day
    method = fit(Precomputed(path=str(tmp_path)), toy)
    np.testing.assert_array_equal(method.transform(toy), embedding)
    method = fit(Precomputed(path=str(tmp_path / "Toy_2601*_M1.npz")), toy)  # a glob
    assert method.file_.name == "Toy_260105_embed_20000itr_M1.npz"


def test_mismatched_labels_name_the_file(tmp_path, toy):
    embedding = np.zeros((toy.n_bins, 3))
    labels = toy.labels.copy()
    labels[5, 0] += 1.0
    n_train = len(chronological_split(toy).train(toy).trial)
    file = write_release_file(tmp_path, toy, embedding, continuous_index_train=labels[:n_train])
    with pytest.raises(NerBenchError, match=rf"{file.name}.*continuous_index_train.*row 5"):
        fit(Precomputed(path=str(tmp_path)), toy)


def test_row_counts_must_match_the_split(tmp_path, toy):
    embedding = np.zeros((toy.n_bins, 3))
    n_train = len(chronological_split(toy).train(toy).trial)
    write_release_file(tmp_path, toy, embedding, cebra_veldir_train=embedding[:n_train - 10],
                       continuous_index_train=toy.labels[:n_train - 10])
    with pytest.raises(NerBenchError, match="continuous_index_train' has .* rows"):
        fit(Precomputed(path=str(tmp_path)), toy)


def test_missing_ambiguous_and_foreign_files_are_explained(tmp_path, toy):
    embedding = np.zeros((toy.n_bins, 3))
    write_release_file(tmp_path, toy, embedding, name="Toy_260107_embed_M1.npz")
    with pytest.raises(NerBenchError, match="no file matches"):
        fit(Precomputed(path=str(tmp_path)), toy)
    write_release_file(tmp_path, toy, embedding, name="Toy_260105_embed_M1.npz")
    write_release_file(tmp_path, toy, embedding, name="Toy_260105_embed_M10.npz")
    with pytest.raises(NerBenchError, match="2 files"):
        fit(Precomputed(path=str(tmp_path)), toy)
    with pytest.raises(NerBenchError, match="required"):
        Precomputed()
    other = tmp_path / "other"
    other.mkdir()
    write_release_file(other, toy, embedding, name="Toy_260105_embed_M1.npz", neural_test=np.zeros((40, 6)))
    with pytest.raises(NerBenchError, match="neural"):
        fit(Precomputed(path=str(other)), toy).transform(toy)


@pytest.mark.integration
def test_section_6_table_is_reproduced_from_the_published_embeddings(release_dir):
    """Through the public API: paper gives the published numbers (swapped test velocity R^2 included),
    strict the correct-order test velocity R^2; training scores are the same under both."""
    for model in ("NER", "Cebra"):
        folder = release_dir / "data_NER" / "M1 4+6+6" / f"{model}_Chewie" / "NPZ"
        scores = {}
        for protocol in ("paper", "strict"):
            table = nb.run(methods=[f"precomputed[path={folder}]"], tasks="within-session[decoders=linear]",
                           dataset="reaching", data_dir=release_dir, sessions=["2015-06-29", "2015-06-30"],
                           protocol=protocol, out=None)
            linear = table[table["decoder"] == "linear"]
            scores[protocol] = linear.set_index(["test_unit", "target", "split"])["value"]
            assert set(table["defects"]) == {"; ".join(nb.protocol.get_protocol(protocol).defects)}
        for (published_model, unit), expected in SECTION_6.items():
            if published_model != model:
                continue
            paper, strict = scores["paper"], scores["strict"]
            found = (paper[unit, "velocity", "train"], paper[unit, "position", "train"],
                     strict[unit, "velocity", "test"], paper[unit, "velocity", "test"], paper[unit, "position", "test"])
            assert np.round(found, 3).tolist() == list(expected), (model, unit)
            assert strict[unit, "position", "test"] == paper[unit, "position", "test"]
