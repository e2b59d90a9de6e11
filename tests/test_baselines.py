"""The field's baselines (fa, gpfa, cebra-time, cebra-hybrid, psid, jpca) and the shuffle controls of the
supervised methods. Every method's contract check runs in test_contract.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from support.recordings import make_recording
from ner_bench import NerBenchError, Recording, chronological_split
from ner_bench.builtins.methods.jpca import JPCA, skew_symmetric_fit
from ner_bench.plugins import discover
from ner_bench.shuffle_controls import shuffled_training
from ner_bench.statistics.shuffle_controls import shuffle_table
from ner_bench.statistics.table import method_labels

REGISTRY = discover()


def rotating_recording(speed=0.12, n_neurons=30, length=40, directions=8, repeats=4) -> tuple[Recording, np.ndarray]:
    """Direction averages that rotate at ``speed`` radians per bin in a known plane of neuron space (plus a
    non-rotating drift in another direction), and that plane."""
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.normal(size=(n_neurons, n_neurons)))
    time = np.arange(length)
    trials = []
    for _ in range(repeats):
        for d in range(directions):
            phase = 2 * np.pi * d / directions
            latent = np.column_stack([np.cos(speed * time + phase), np.sin(speed * time + phase),
                                      0.02 * time * (d % 3 - 1)])
            trials.append(3 * latent @ basis[:, :3].T + 0.01 * rng.normal(size=(length, n_neurons)) + 5)
    recording = Recording.from_trials(id="rotating", neural=np.concatenate(trials),
                                      velocity=rng.normal(size=(len(trials) * length, 2)),
                                      direction=np.repeat(np.tile(np.arange(directions), repeats), length),
                                      trial_length=length)
    return recording, basis[:, :2]


def test_jpca_recovers_a_planted_rotation():
    recording, plane = rotating_recording(speed=0.12)
    method = JPCA().fit(recording, seed=0)
    assert method.rotation_speed_ == pytest.approx(0.12, rel=0.02)
    cosines = np.linalg.svd(method.axes_[:, :2].T @ plane, compute_uv=False)  # of the principal angles
    assert cosines.min() > 0.99
    assert method.transform(recording).shape == (recording.n_bins, 3)
    assert np.allclose(method.axes_.T @ method.axes_, np.eye(3), atol=1e-8)


def test_the_skew_symmetric_fit_is_exact_for_a_rotational_system():
    rng = np.random.default_rng(1)
    generator = rng.normal(size=(6, 6))
    truth = generator - generator.T
    states = rng.normal(size=(200, 6))
    fitted = skew_symmetric_fit(states, states @ truth)
    np.testing.assert_allclose(fitted, truth, atol=1e-10)
    np.testing.assert_allclose(fitted, -fitted.T)


@pytest.fixture(scope="module")
def train():
    recording = make_recording(n_trials=24, trial_length=10, n_neurons=6)
    noisy = recording.velocity + np.random.default_rng(2).normal(size=recording.velocity.shape)  # every trial its own
    recording = recording.replace(velocity=noisy)
    return chronological_split(recording).train(recording)


def test_the_trial_shuffle_moves_whole_trials_onto_other_trials(train):
    shuffled = shuffled_training(train, "trials", seed=0)
    np.testing.assert_array_equal(shuffled.neural, train.neural)
    np.testing.assert_array_equal(shuffled.trial, train.trial)
    length = train.trial_length
    behaviour = lambda r: np.column_stack([r.velocity, r.position, r.direction, r.angle]).reshape(r.n_trials, -1)  # noqa: E731
    before, after = behaviour(train), behaviour(shuffled)
    donors = [np.flatnonzero((before == row).all(axis=1)) for row in after]
    assert all(len(d) == 1 for d in donors)  # each trial carries exactly one trial's behaviour, whole
    donors = np.array([d[0] for d in donors])
    assert sorted(donors) == list(range(train.n_trials)) and not (donors == np.arange(train.n_trials)).any()
    assert (shuffled.direction.reshape(-1, length) == shuffled.direction.reshape(-1, length)[:, :1]).all()
    np.testing.assert_array_equal(shuffled_training(train, "trials", seed=0).velocity, shuffled.velocity)
    assert not np.array_equal(shuffled_training(train, "trials", seed=1).velocity, shuffled.velocity)


def test_the_time_shuffle_permutes_the_neural_rows_only(train):
    shuffled = shuffled_training(train, "time", seed=0)
    np.testing.assert_array_equal(shuffled.velocity, train.velocity)
    assert not np.array_equal(shuffled.neural, train.neural)
    np.testing.assert_array_equal(np.sort(shuffled.neural, axis=0), np.sort(train.neural, axis=0))
    assert shuffled_training(train, "none", seed=0) is train


def test_the_shuffled_parameter_belongs_to_supervised_methods_and_is_always_named():
    ner = REGISTRY.get("methods", "ner")
    assert ner(shuffled="trials").params["shuffled"] == "trials"
    assert "shuffled" not in ner().params  # the real method's parameters (and cache keys) are unchanged
    with pytest.raises(NerBenchError, match="'pca'.*supervised methods"):
        REGISTRY.get("methods", "pca")(shuffled="trials")
    with pytest.raises(NerBenchError, match="shuffled='rows'; expected one of none, trials, time"):
        ner(shuffled="rows")
    alone = pd.DataFrame({"method": ["ner"], "method_params": [json.dumps({"dim": 3, "shuffled": "trials"})]})
    assert list(method_labels(alone)) == ["ner[shuffled=trials]"]  # never mistaken for ner, even alone


def test_the_shuffle_table_flags_a_method_not_above_its_control():
    from support.leaderboard_data import row
    from ner_bench.statistics import leaderboard_tables, prepare

    params = {"a": {}, "a[shuffled=trials]": {"shuffled": "trials"}, "b": {"x": 1},
              "b[shuffled=trials]": {"x": 1, "shuffled": "trials"}}
    scores = {"a": 0.6, "a[shuffled=trials]": 0.1, "b": 0.5, "b[shuffled=trials]": 0.48}
    rng = np.random.default_rng(0)
    rows = [row(method=label[0], method_params=json.dumps(params[label]), train_unit=f"s{unit}",
                test_unit=f"s{unit}", subject="m" if unit < 3 else "n", value=value + rng.normal(0, 0.03))
            for label, value in scores.items() for unit in range(6)]
    results = prepare(pd.DataFrame(rows))
    _, pairwise = leaderboard_tables(results)
    table = shuffle_table(pairwise, results).set_index("method")
    assert table.loc["a", "control"] == "a[shuffled=trials]" and not table.loc["a", "flagged"]
    assert table.loc["a", "gap"] == pytest.approx(0.5, abs=0.05) and table.loc["a", "n_units"] == 6
    assert table.loc["a", "gap_ci_low"] < table.loc["a", "gap"] < table.loc["a", "gap_ci_high"]
    assert table.loc["a", "p_holm"] < 0.05 and table.loc["a", "subjects_agree"] == table.loc["a", "n_subjects"] == 2
    assert table.loc["b", "flagged"]  # 0.02 above its control, within the noise: not shown to be above it
    assert table.loc["b", "p_holm"] >= 0.05


def _velocity_r2(spec: str, recording: Recording) -> float:
    split = chronological_split(recording)
    name, _, params = spec.partition("[")
    given = dict(p.split("=") for p in params.rstrip("]").split(",") if p)
    method = REGISTRY.get("methods", name)(**{"iterations": "300", **given})
    method.fit_as_run(split.train(recording), seed=0)
    embedding = method.transform(recording)
    train, test = np.isin(recording.trial, split.train_trials), np.isin(recording.trial, split.test_trials)
    decoder = LinearRegression().fit(embedding[train], recording.velocity[train])
    return r2_score(recording.velocity[test], decoder.predict(embedding[test]))


@pytest.mark.slow
def test_the_time_shuffled_control_of_ner_loses_its_velocity_decoding():
    pytest.importorskip("cebra")
    recording = REGISTRY.get("datasets", "synthetic")(n_sessions=1, n_s1_sessions=0).load()[0]
    real = _velocity_r2("ner", recording)
    trials = _velocity_r2("ner[shuffled=trials]", recording)
    time = _velocity_r2("ner[shuffled=time]", recording)
    assert real > 0.4
    assert time < real - 0.3  # neural activity unrelated to movement: far below the real fit
    # labels of other trials: on the synthetic data NER keeps most of its score (docs/methods.md, "Shuffle
    # controls"); the control must at least not beat the method
    assert trials < real + 0.02


def test_cebra_time_needs_no_behaviour():
    recording = make_recording(n_trials=24, trial_length=10, n_neurons=6).without_behavior()
    assert REGISTRY.get("methods", "cebra-time")().skip(recording) is None
    assert REGISTRY.get("methods", "cebra-hybrid")().skip(recording) is not None
