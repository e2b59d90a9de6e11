"""dPCA: fitted on the balanced tensor of training trials only; bins embedded with D['s'] and the
training mean."""

from __future__ import annotations

import numpy as np
import pytest

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.builtins.methods.dpca import DPCA, balanced_tensor
from ner_bench.jobs import FitJob, run_fit_job


@pytest.fixture(scope="module")
def recording():
    return make_recording(n_trials=40, trial_length=8, n_neurons=7)


def test_changing_test_trials_leaves_the_fit_unchanged(recording):
    pytest.importorskip("dPCA")
    split = chronological_split(recording)
    test_rows = np.isin(recording.trial, split.test_trials)
    changed = recording.replace(neural=np.where(test_rows[:, None], 5.0 + 3.0 * recording.neural, recording.neural))
    first = DPCA().fit(split.train(recording), seed=0)
    second = DPCA().fit(split.train(changed), seed=0)
    np.testing.assert_array_equal(first.decoder_, second.decoder_)
    np.testing.assert_array_equal(first.mean_, second.mean_)
    # through the runner's path too: the training bins' embedding does not move
    jobs = [FitJob("dpca", DPCA().params, "1", rec, split, seed=0, method_class=DPCA) for rec in (recording, changed)]
    outcomes = [run_fit_job(job) for job in jobs]
    assert [o.status for o in outcomes] == ["ok", "ok"], outcomes[0].error
    train_rows = ~test_rows
    np.testing.assert_array_equal(outcomes[0].values[train_rows], outcomes[1].values[train_rows])


def test_bins_are_embedded_with_the_stimulus_decoder_and_the_training_mean(recording):
    pytest.importorskip("dPCA")
    split = chronological_split(recording)
    method = DPCA(dim=2).fit(split.train(recording), seed=0)
    assert method.decoder_.shape == (recording.n_neurons, 2)
    full = method.transform(recording)
    np.testing.assert_allclose(full, (recording.neural - method.mean_) @ method.decoder_, rtol=1e-6)
    # no dependence on the other bins given (dPCA.transform would centre by the input's own mean)
    test = split.test(recording)
    np.testing.assert_allclose(method.transform(test), full[np.isin(recording.trial, split.test_trials)], rtol=1e-6)


def test_balanced_tensor_truncates_each_direction_to_the_smallest_count():
    rec = make_recording(n_trials=20, trial_length=5, n_neurons=3)  # directions 0..7, 0..7, 0..3
    tensor = balanced_tensor(rec)
    assert tensor.shape == (2, 3, 8, 5)  # (trials, neurons, directions, time)
    first_trial_of_direction_5 = rec.neural[rec.trial == 5]  # trial 5 has direction 5
    np.testing.assert_allclose(tensor[0, :, 5, :], first_trial_of_direction_5.T)


def test_regulariser_is_chosen_by_cross_validation_and_budgets_set_its_repeats(recording):
    pytest.importorskip("dPCA")
    assert DPCA(budget="quick").params["cv_repeats"] == 1 and DPCA(budget="paper").params["cv_repeats"] == 3
    method = DPCA().fit(chronological_split(recording).train(recording), seed=0)
    assert method.regularizer_ > 0
    fixed = DPCA(regularizer=0.01).fit(chronological_split(recording).train(recording), seed=0)
    assert fixed.regularizer_ == 0.01


def test_too_few_trials_per_direction_is_a_clear_error():
    pytest.importorskip("dPCA")
    rec = make_recording(n_trials=10, trial_length=5, n_neurons=3)
    with pytest.raises(NerBenchError, match="at least 2 per direction"):
        DPCA().fit(rec, seed=0)
