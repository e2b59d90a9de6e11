import numpy as np
import pytest
from sklearn.metrics import r2_score

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.decoders import linear_velocity_rows, within_trial_cumsum
from ner_bench.protocol import PAPER, STRICT
from ner_bench.specs import parse_specs
from ner_bench.task import Embedding


def test_parse_specs_with_parameters():
    specs = parse_specs("ner[iterations=2000,dim=3],pca, umap[metric=cosine,grid=[1,2]]")
    assert [s.name for s in specs] == ["ner", "pca", "umap"]
    assert specs[0].params == {"iterations": 2000, "dim": 3}
    assert specs[2].params == {"metric": "cosine", "grid": [1, 2]}


@pytest.mark.parametrize("bad", ["ner[iterations]", "ner[iterations=2", "ner]x["])
def test_bad_specs_are_explained(bad):
    with pytest.raises(NerBenchError, match="--methods"):
        parse_specs(bad)


def test_within_trial_cumsum_restarts_per_trial():
    values = np.ones((6, 1))
    trial = np.array([0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(within_trial_cumsum(values, trial)[:, 0], [1, 2, 3, 1, 2, 3])


def test_r2_is_truth_first_under_strict_and_swapped_and_flagged_under_paper():
    rec = make_recording(n_trials=40)
    split = chronological_split(rec)
    rng = np.random.default_rng(1)
    embedding = Embedding(rec, split, np.column_stack([rec.velocity + 0.3 * rng.normal(size=rec.velocity.shape)]))
    fit_on, test = embedding.part("train"), embedding.part("test")
    strict = {r["target"]: r for r in linear_velocity_rows(fit_on, {"test": test}, STRICT)}
    paper = {r["target"]: r for r in linear_velocity_rows(fit_on, {"test": test}, PAPER)}
    from sklearn.linear_model import LinearRegression
    prediction = LinearRegression().fit(fit_on.values, fit_on.recording.velocity).predict(test.values)
    assert strict["velocity"]["value"] == pytest.approx(r2_score(test.recording.velocity, prediction))
    assert paper["velocity"]["value"] == pytest.approx(r2_score(prediction, test.recording.velocity))
    assert "published" in paper["velocity"]["note"] and strict["velocity"]["note"] == ""
    assert paper["position"]["value"] == pytest.approx(strict["position"]["value"])
