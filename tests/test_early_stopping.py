"""budget=converged: the cebra-based methods stop on a plateau of the loss on held-out *training* trials."""

import numpy as np
import pytest

cebra = pytest.importorskip("cebra")

import ner_bench as nb
from ner_bench import chronological_split
from ner_bench.plugins import discover
from ner_bench.split import validation_trials
from support.recordings import make_recording

QUICK_PLATEAU = {"iterations": 400, "batch_size": 32, "validation_every": 5, "patience": 2, "learning_rate": 1e-12}


@pytest.fixture(scope="module")
def train():
    recording = make_recording(n_trials=20, trial_length=10, n_neurons=6, seed=2, id="small")
    return chronological_split(recording).train(recording)


def test_only_the_converged_budget_stops_early():
    methods = discover().methods
    for name in ("ner", "cebra", "cebra-16"):
        converged = methods[name](budget="converged").params
        assert converged["early_stopping"] is True and converged["iterations"] == 20000
        for budget in ("quick", "paper"):
            assert methods[name](budget=budget).params["early_stopping"] is False


@pytest.mark.parametrize("name", ["ner", "cebra"])
def test_a_flat_validation_loss_stops_training_and_says_so(name, train):
    """With a negligible learning rate the validation loss never improves: training stops after `patience`
    evaluations past the first, keeps the first evaluation's weights, and the summary says how."""
    method = discover().get("methods", name)(early_stopping=True, **QUICK_PLATEAU)
    method.fit(train, seed=0)
    assert method.training_["stopped_on_plateau"] and method.training_["iterations_trained"] == 16
    assert method.training_["best_iteration"] == 6
    assert method.training_summary().startswith("16 of 400 iterations (stopped on a validation plateau)")


def test_validation_trials_are_held_out_of_training(train, monkeypatch):
    from ner_bench.builtins.methods import _cebra_common as common

    seen = {}
    original_setup, original_batches = common.make_setup, common.validation_batches

    def spy_setup(neural, *args, **kwargs):
        seen["trained_on"] = neural
        return original_setup(neural, *args, **kwargs)

    def spy_batches(neural, *args, **kwargs):
        seen["validated_on"] = neural
        return original_batches(neural, *args, **kwargs)

    monkeypatch.setattr(common, "make_setup", spy_setup)
    monkeypatch.setattr(common, "validation_batches", spy_batches)
    discover().get("methods", "ner")(early_stopping=True, validation_fraction=0.25, **QUICK_PLATEAU).fit(train, seed=0)
    held = validation_trials(train, 0.25, method="ner", parameter="validation_fraction")
    in_held = np.isin(train.trial, held)
    np.testing.assert_array_equal(seen["trained_on"], train.neural[~in_held])
    np.testing.assert_array_equal(seen["validated_on"], train.neural[in_held])


def test_the_results_say_how_each_fit_trained():
    table = nb.run(methods="ner[iterations=7,batch_size=32]", out=None,
                   dataset="synthetic[n_sessions=1,n_s1_sessions=0,n_trials=24]")
    assert set(table["training"]) == {"7 iterations"}
