import numpy as np
import pytest

from ner_bench.plugins import discover


@pytest.fixture(scope="module")
def recordings():
    return discover().datasets["synthetic"]().load()


def test_layout_matches_the_release(recordings):
    by_id = {r.id: r for r in recordings}
    assert {(r.subject, r.area) for r in recordings} == {("Synthie", "M1"), ("Synthie", "PMd"), ("Synthan", "S1")}
    assert {r.hemisphere for r in recordings if r.subject == "Synthie"} == {"left", "right"}
    assert all(r.hemisphere == "left" for r in recordings if r.area == "PMd")
    for r in recordings:
        assert r.trial_length == 40 and r.bin_size == 0.03 and r.n_trials == 96
        assert set(np.unique(r.direction)) == set(range(8))
        assert np.all(r.neural >= 0)
    assert len(by_id) == len(recordings)


def test_deterministic_for_a_seed():
    cls = discover().datasets["synthetic"]
    a, b, c = cls(seed=3).load(), cls(seed=3).load(), cls(seed=4).load()
    np.testing.assert_array_equal(a[0].neural, b[0].neural)
    assert not np.array_equal(a[0].neural, c[0].neural)


def test_speed_is_bell_shaped_peaking_near_500_ms(recordings):
    r = recordings[0]
    speed = np.linalg.norm(r.velocity, axis=1).reshape(r.n_trials, r.trial_length).mean(axis=0)
    peak_ms = speed.argmax() * r.bin_size * 1000
    assert 420 <= peak_ms <= 600
    assert speed[0] < 0.1 * speed.max() and speed[-1] < 0.1 * speed.max()


def test_neurons_are_velocity_tuned_and_areas_differ_in_lag(recordings):
    """M1 leads movement, S1 lags: the best neural-velocity lag has opposite signs."""
    def best_lag(r):
        x = r.neural - r.neural.mean(0)
        v = r.velocity
        scores = {}
        for lag in range(-5, 6):
            # correlation of neural at t with velocity at t + lag, within trials
            rows = (r.time_in_trial + lag >= 0) & (r.time_in_trial + lag < r.trial_length)
            idx = np.flatnonzero(rows)
            beta, *_ = np.linalg.lstsq(np.c_[x[idx], np.ones(len(idx))], v[idx + lag], rcond=None)
            pred = np.c_[x[idx], np.ones(len(idx))] @ beta
            scores[lag] = 1 - ((v[idx + lag] - pred) ** 2).sum() / ((v[idx + lag] - v[idx + lag].mean(0)) ** 2).sum()
        return max(scores, key=scores.get)
    m1 = next(r for r in recordings if r.area == "M1")
    s1 = next(r for r in recordings if r.area == "S1")
    assert best_lag(m1) > 0 > best_lag(s1)


def test_pmd_is_preparatory(recordings):
    """PMd separates directions earlier in the trial than M1 (before the speed peak)."""
    def early_direction_variance(r):
        early = r.time_in_trial < 8
        means = np.stack([r.neural[early & (r.direction == d)].mean(0) for d in range(8)])
        return means.var(axis=0).mean() / r.neural[early].var(axis=0).mean()
    pmd = next(r for r in recordings if r.area == "PMd")
    m1 = next(r for r in recordings if r.area == "M1" and r.date == pmd.date)
    assert early_direction_variance(pmd) > 2 * early_direction_variance(m1)


def test_sessions_drift_neurons_lost_and_gained(recordings):
    m1 = sorted((r for r in recordings if r.area == "M1"), key=lambda r: r.date)
    ids = [set(r.meta["neuron_ids"]) for r in m1]
    assert 0 < len(ids[0] - ids[1]) < len(ids[0]) // 2  # consecutive days share most neurons
    right, left = [r for r in m1 if r.hemisphere == "right"], [r for r in m1 if r.hemisphere == "left"]
    assert not set(right[0].meta["neuron_ids"]) & set(left[0].meta["neuron_ids"])  # hemispheres differ
