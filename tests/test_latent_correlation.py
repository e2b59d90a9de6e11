import numpy as np
import pytest

import ner_bench as nb
from ner_bench import Context, Embedding
from ner_bench.builtins.tasks._contrast_null import N_PERMUTATIONS, averaging_matrices, contrasts, unit_trajectories
from ner_bench.builtins.tasks.latent_correlation import LatentCorrelation, correlation_rows
from ner_bench.protocol import STRICT

SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The synthetic default under the protocol's alignment and under none (one output folder each: stored
    task scores are keyed without the task's options)."""
    return {alignment: nb.run(methods="pca,random,behavior", tasks=f"latent-correlation[alignment={alignment}]",
                              dataset="synthetic", seeds=SEEDS, out=tmp_path_factory.mktemp(alignment))
            for alignment in ("protocol", "none")}


def contrast(table, method):
    rows = table[(table["metric"] == "trajectory_contrast_r") & (table["method"] == method)]
    assert len(rows) == 32 * len(SEEDS) and (rows["status"] == "ok").all()
    return rows["value"].mean()


def test_an_offset_is_no_correlation():
    """Independent trajectories far from zero: raw, every pair would correlate near 1; centred, none does."""
    rng = np.random.default_rng(0)
    a = {d: 10.0 + rng.normal(size=(40, 3)) for d in range(8)}
    b = {d: -7.0 + rng.normal(size=(40, 3)) for d in range(8)}
    by_metric = {r["metric"]: r["value"] for r in correlation_rows(a, b) if r["metric"] != "pearson_r"}
    assert abs(by_metric["diagonal_mean_r"]) < 0.1 and abs(by_metric["off_diagonal_mean_r"]) < 0.1
    assert abs(by_metric["trajectory_contrast_r"]) < 0.1


def test_random_is_near_zero_unaligned_and_behavior_is_highest(runs):
    assert set(runs["none"]["alignment"]) == {"none"} and set(runs["protocol"]["alignment"]) == {"train-procrustes"}
    # unaligned, a random projection of another recording's neurons shares nothing direction-specific
    assert abs(contrast(runs["none"], "random")) < 0.1
    # aligned (a rotation fitted on training direction averages), a random projection of tuned neurons
    # lines up partly: it is the floor a method must beat, well under pca and behavior
    scores = {m: contrast(runs["protocol"], m) for m in ("pca", "random", "behavior")}
    assert scores["random"] < scores["pca"] < scores["behavior"] and scores["behavior"] > 0.8
    assert scores["random"] < 0.3


def test_pearson_rows_of_one_unit_are_the_64_direction_pairs_and_make_the_means():
    # enough trials that every direction has test trials (the default's 19 test trials miss some)
    dataset = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=160,n_neurons=20,pool_size=24]"
    table = nb.run(methods="pca", tasks="latent-correlation", dataset=dataset, out=None)
    unit = table[(table["train_unit"] == "Synthie_20260101_M1") & (table["test_unit"] == "Synthie_20260102_M1")]
    pearson = unit[unit["metric"] == "pearson_r"]
    assert len(pearson) == 64 and set(pearson["train_direction"]) == set(pearson["test_direction"]) == set(range(8))
    same = pearson["train_direction"] == pearson["test_direction"]
    value = unit.set_index("metric")["value"]
    assert pearson[same]["value"].mean() == pytest.approx(value["diagonal_mean_r"])
    assert pearson[~same]["value"].mean() == pytest.approx(value["off_diagonal_mean_r"])
    assert value["trajectory_contrast_r"] == pytest.approx(value["diagonal_mean_r"] - value["off_diagonal_mean_r"])
    assert set(unit["pair_type"]) == {"cross-hemisphere"}


# ----------------------------------------------------------------------------- the permutation null
NULL_METRICS = ("trajectory_contrast_r", "trajectory_contrast_null_r", "trajectory_contrast_excess_r",
                "trajectory_contrast_p")


@pytest.fixture(scope="module")
def synthetic_fits():
    """The synthetic default's recordings, splits and pca embeddings (seed 0)."""
    return nb.fit_embeddings("pca", "synthetic", out=None)


def null_scores(fits, embed, seed=0, reverse=False) -> dict[tuple[str, str], dict[str, float]]:
    """{(A id, B id): {metric: value}} of the contrast and its null over every pair of the synthetic default,
    each recording embedded by ``embed(fitted)``; ``reverse`` scores the pairs in the opposite order."""
    embeddings = {f.recording.id: Embedding(f.recording, f.split, embed(f)) for f in fits}
    task = LatentCorrelation()
    units = task.units([f.recording for f in fits])
    scores = {}
    for unit in reversed(units) if reverse else units:
        rows = task.evaluate(unit, embeddings[unit.train.id], embeddings[unit.test.id], Context(STRICT, seed))
        scores[unit.train.id, unit.test.id] = {r["metric"]: r["value"] for r in rows if r["metric"] in NULL_METRICS}
    return scores


def mean_of(scores, metric: str) -> float:
    return float(np.mean([pair[metric] for pair in scores.values()]))


def test_the_null_mean_is_zero_for_every_method(runs):
    table = runs["protocol"]
    null = table[table["metric"] == "trajectory_contrast_null_r"]
    assert len(null) == 3 * 32 * len(SEEDS) and (null["status"] == "ok").all()
    for method, values in null.groupby("method")["value"]:
        assert abs(values.mean()) < 0.02, method
    by_pair = table[table["metric"].isin(NULL_METRICS)].pivot_table(
        index=["method", "train_unit", "test_unit", "seed"], columns="metric", values="value")
    expected = by_pair["trajectory_contrast_r"] - by_pair["trajectory_contrast_null_r"]
    assert np.allclose(by_pair["trajectory_contrast_excess_r"], expected)


def test_pure_noise_has_no_contrast_and_no_small_p(synthetic_fits):
    rng = np.random.default_rng(0)
    noise_of = {f.recording.id: rng.normal(size=f.values.shape) for f in synthetic_fits}
    noise = null_scores(synthetic_fits, lambda f: noise_of[f.recording.id])
    assert abs(mean_of(noise, "trajectory_contrast_r")) < 0.05
    assert abs(mean_of(noise, "trajectory_contrast_null_r")) < 0.02
    assert mean_of(noise, "trajectory_contrast_p") > 0.3


def test_a_direction_tuned_embedding_beats_every_permutation(synthetic_fits):
    tuned = null_scores(synthetic_fits, lambda f: f.recording.velocity)
    assert {pair["trajectory_contrast_p"] for pair in tuned.values()} == {1 / (1 + N_PERMUTATIONS)}
    assert min(pair["trajectory_contrast_excess_r"] for pair in tuned.values()) > 0.5


def test_the_null_is_set_by_the_seed_and_pair_not_the_order(synthetic_fits):
    embed = lambda f: f.values  # noqa: E731
    first, again = null_scores(synthetic_fits, embed), null_scores(synthetic_fits, embed, reverse=True)
    assert first == again
    other_seed = null_scores(synthetic_fits, embed, seed=1)
    assert all(first[pair]["trajectory_contrast_null_r"] != other_seed[pair]["trajectory_contrast_null_r"]
               for pair in first)


def test_the_vectorised_contrast_is_the_observed_one():
    """``contrasts`` of the unpermuted averages (the averaging matrix of the labels as they are) gives
    ``correlation_rows``' contrast."""
    rng = np.random.default_rng(0)
    labels_a, labels_b = np.arange(24) % 4, rng.permutation(np.arange(20) % 4)
    trials_a, trials_b = rng.normal(size=(24, 10, 3)), rng.normal(size=(20, 10, 3))
    trials_b[:, :, 0] += labels_b[:, None]  # some direction structure, so the contrast is not ~0

    def centred_units(trials, labels):
        averages = (averaging_matrices(labels[None], [0, 1, 2, 3]) @ trials.reshape(len(trials), -1))
        averages = averages.reshape(1, 4, 10, 3)
        return unit_trajectories(averages - averages.mean(axis=(1, 2), keepdims=True))

    [vectorised] = contrasts(centred_units(trials_a, labels_a), centred_units(trials_b, labels_b))
    averages = [{int(d): trials[labels == d].mean(axis=0) for d in range(4)}
                for trials, labels in ((trials_a, labels_a), (trials_b, labels_b))]
    observed = next(r["value"] for r in correlation_rows(*averages) if r["metric"] == "trajectory_contrast_r")
    assert vectorised == pytest.approx(observed)
