import numpy as np
import pytest
from sklearn.linear_model import RidgeCV

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.decoders import DECODERS, RIDGE_ALPHAS, chosen_decoders, decoding_rows, ridge_search
from ner_bench.knn import trial_block_folds
from ner_bench.protocol import STRICT
from ner_bench.task import Embedding


def embedding(recording, seed, *, tiny=1e-3, tilt=0.0):
    """Velocity plus noise on two axes and a third axis of near-zero variance (a random walk per trial,
    times ``tiny``); ``tilt`` rotates the near-empty axis into the first, as an alignment that cannot pin
    it leaves it in another recording."""
    rng = np.random.default_rng(seed)
    noisy = recording.velocity + 0.3 * rng.normal(size=recording.velocity.shape)
    walk = np.cumsum(rng.normal(size=(recording.n_trials, recording.trial_length)), axis=1).ravel()
    c, s = np.cos(tilt), np.sin(tilt)
    rotation = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])
    values = np.column_stack([noisy, tiny * walk]) @ rotation
    return Embedding(recording, chronological_split(recording), values)


def velocity_r2(rows, decoder):
    (row,) = [r for r in rows if r["decoder"] == decoder and r["target"] == "velocity" and r["split"] == "test"]
    return row


@pytest.fixture
def pair():
    return make_recording(n_trials=48, id="A"), make_recording(n_trials=48, id="B", seed=1)


def test_ridge_survives_a_near_empty_axis_that_ols_blows_up_on(pair):
    a, b = pair
    fit_on = embedding(a, 0).part("train")
    rows = decoding_rows(fit_on, {"test": embedding(b, 1, tilt=0.3).part("test")}, STRICT,
                         decoders=("linear", "ridge"))
    assert velocity_r2(rows, "linear")["value"] < -5  # OLS: a coefficient of ~10 on an axis of ~1e-3
    ridge = velocity_r2(rows, "ridge")
    assert ridge["value"] > 0.5
    search = ridge_search(fit_on.values, fit_on.recording.velocity, trial_block_folds(fit_on.recording.trial))
    assert ridge["note"].startswith(f"alpha={search.alpha:g} ")
    assert f"CV best alpha={search.best_cv_alpha:g}" in ridge["note"]


def test_ridge_is_close_to_linear_without_near_empty_axes(pair):
    a, b = pair
    rows = decoding_rows(embedding(a, 0, tiny=1.0).part("train"), {"test": embedding(b, 1, tiny=1.0).part("test")},
                         STRICT, decoders=("linear", "ridge"))
    assert velocity_r2(rows, "ridge")["value"] == pytest.approx(velocity_r2(rows, "linear")["value"], abs=0.01)


def test_the_search_is_ridgecv_on_whole_trial_folds_then_the_one_standard_error_rule(pair):
    fit_on = embedding(pair[0], 0).part("train")
    values, velocity, folds = fit_on.values, fit_on.recording.velocity, trial_block_folds(fit_on.recording.trial)
    search = ridge_search(values, velocity, folds)
    reference = RidgeCV(alphas=RIDGE_ALPHAS, cv=folds).fit(values, velocity)
    assert search.best_cv_alpha == reference.alpha_
    assert search.mean_scores[search.best_cv_alpha] == pytest.approx(reference.best_score_)
    best = search.mean_scores[search.best_cv_alpha]
    within = [alpha for alpha, score in search.mean_scores.items() if score >= best - search.standard_error]
    assert search.alpha == max(within) >= search.best_cv_alpha
    assert ridge_search(values, velocity, folds) == search  # deterministic
    with pytest.raises(NerBenchError, match="at least 2 folds"):
        ridge_search(values, velocity, folds[:1])


def test_ridge_is_among_all_decoders():
    assert "ridge" in DECODERS and "ridge" in chosen_decoders("all", "test")
    assert chosen_decoders("linear+ridge", "test") == ("linear", "ridge")
