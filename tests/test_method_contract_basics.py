"""The plug-in base classes' basics: the shared options resolver, fitted attributes (``check_fitted``)
and the capability-driven ``skip`` hooks of Method and Task."""

from __future__ import annotations

import numpy as np
import pytest

from support.recordings import make_recording

from ner_bench import Dataset, Method, NerBenchError, Recording, Task
from ner_bench.method import MIN_TRIALS_PER_CONDITION, coerce, resolve_params
from ner_bench.options import BUDGETS, resolve
from ner_bench.plugins import discover

BUILTIN_METHODS = discover(entry_points=False).methods  # built-ins whose optional dependencies are installed


# ----------------------------------------------------------------------------- fitted attributes
def _construct(cls: type[Method], tmp_path) -> Method:
    params = dict(cls.check_params)
    if "path" in cls.defaults:  # precomputed: a folder holding an .npz file (not read before fit)
        (tmp_path / "Toy_260105_M1.npz").write_bytes(b"")
        params["path"] = str(tmp_path)
    try:
        return cls(budget="quick", **params)
    except ImportError as error:  # an optional dependency imported on construction
        pytest.skip(f"method {cls.name!r}: {error}")


@pytest.mark.parametrize("name", sorted(BUILTIN_METHODS))
def test_transform_before_fit_raises_for_every_builtin_method(name, tmp_path):
    method = _construct(BUILTIN_METHODS[name], tmp_path)
    with pytest.raises(NerBenchError) as error:
        method.transform(make_recording())
    assert str(error.value) == f"method {name!r}: transform called before fit"


class _Centre(Method):
    name, description = "centre", "Centred neural activity"

    def fit(self, train, *, seed, device="cpu"):
        self.mean_ = train.neural.mean(axis=0)
        return self

    def transform(self, recording):
        self.check_fitted()
        return recording.neural - self.mean_


def test_check_fitted_follows_the_trailing_underscore_convention():
    method = _Centre()
    method._cache_ = method.dunder__ = method.plain = 1  # none of these is a fitted attribute
    with pytest.raises(NerBenchError, match="^method 'centre': transform called before fit$"):
        method.check_fitted()
    recording = make_recording()
    assert method.fit(recording, seed=0).transform(recording).shape == recording.neural.shape
    method.check_fitted()  # no error once fitted


def test_fitted_attributes_of_builtins_end_with_an_underscore():
    recording = make_recording()
    for name in ("pca", "pca-avg", "random", "raw", "behavior"):
        fitted = BUILTIN_METHODS[name]().fit(recording, seed=0)
        assert [key for key in vars(fitted) if key.endswith("_")], name
        assert set(vars(fitted)) - {"params", "budget", "checkpoints", "checkpoint_hook"} == {key for key in vars(fitted) if key.endswith("_")}, name
    pca = BUILTIN_METHODS["pca"]().fit(recording, seed=0)
    assert not hasattr(pca, "model")  # no unsuffixed second name


# ----------------------------------------------------------------------------- Method.skip
def _method(**capabilities) -> Method:
    cls = type("Declared", (_Centre,), {"name": "declared", **capabilities})
    return cls()


def test_has_behavior():
    recording = make_recording()
    assert recording.has_behavior
    assert not recording.without_behavior().has_behavior


def test_method_skip_default_runs_everything_on_a_full_recording():
    recording = make_recording(n_trials=16)  # 8 directions x 2 trials
    for capabilities in ({}, {"supervised": True}, {"needs_trials": True}, {"uses_gpu": True},
                         {"supervised": True, "needs_trials": True, "uses_gpu": True}):
        assert _method(**capabilities).skip(recording) is None, capabilities


def test_method_skip_supervised_needs_behaviour():
    blank = make_recording().without_behavior()
    assert _method(supervised=True).skip(blank) == (
        "method 'declared' is supervised but recording 'toy' has no behaviour (velocity is zero throughout)")
    assert _method().skip(blank) is None
    assert _method(uses_gpu=True).skip(blank) is None  # a GPU is optional: never a reason to skip


def test_method_skip_needs_trials_needs_balanced_trials():
    assert MIN_TRIALS_PER_CONDITION == 2
    recording = make_recording(n_trials=12)  # directions 0-3 have 2 trials, 4-7 one
    reason = _method(needs_trials=True).skip(recording)
    assert reason == ("method 'declared' needs whole, balanced trials but recording 'toy' has 1 trial(s) of "
                      "direction 4 (at least 2 per direction needed)")
    assert _method().skip(recording) is None
    assert _method(supervised=True).skip(recording) is None


def test_method_skip_builtin_declarations():
    short = make_recording(n_trials=12)
    assert "needs whole, balanced trials" in BUILTIN_METHODS["pca-avg"]().skip(short)
    assert BUILTIN_METHODS["pca"]().skip(short.without_behavior()) is None


def test_method_skip_can_be_overridden():
    class Wide(_Centre):
        name = "wide"

        def skip(self, recording):
            return super().skip(recording) or (
                f"method 'wide' needs 10 neurons, recording {recording.id!r} has {recording.n_neurons}"
                if recording.n_neurons < 10 else None)

    assert Wide().skip(make_recording(n_neurons=6)) == "method 'wide' needs 10 neurons, recording 'toy' has 6"
    assert Wide().skip(make_recording(n_neurons=12)) is None


# ----------------------------------------------------------------------------- Task.skip
class _Task(Task):
    name, description = "demo", "A task scoring nothing"
    defaults = {"alpha": 1.0, "mode": "fast"}

    def units(self, recordings):
        return []

    def evaluate(self, unit, train, test, context):
        return []


def test_task_skip_default_is_none():
    for method_cls in BUILTIN_METHODS.values():
        assert _Task().skip(method_cls) is None


def test_task_skip_reads_requires():
    class LabelFree(_Task):
        name, requires = "label-free", {"supervised": False, "uses_behavior_at_transform": False}

    assert LabelFree().skip(BUILTIN_METHODS["pca"]) is None
    assert LabelFree().skip(BUILTIN_METHODS["pca-avg"]) == (
        "task 'label-free' requires methods with supervised=False; method 'pca-avg' has supervised=True")

    class Custom(_Task):
        name, requires = "custom", {"streams": True}

    assert Custom().skip(BUILTIN_METHODS["pca"]) == (
        "task 'custom' requires methods with streams=True; method 'pca' has streams=None")


# ----------------------------------------------------------------------------- the options resolver
class _Dataset(Dataset):
    name, description = "toy", "One toy recording"
    defaults = {"n_trials": 16, "noise": 0.1, "flag": False}

    def load(self) -> list[Recording]:
        return [make_recording(n_trials=self.options["n_trials"])]


def test_one_resolver_for_methods_tasks_and_datasets():
    assert _Task(alpha="0.5").options == {"alpha": 0.5, "mode": "fast"}
    assert _Dataset(n_trials="8", flag="yes").options == {"n_trials": 8, "noise": 0.1, "flag": True}
    dpca = BUILTIN_METHODS["dpca"]
    assert dpca(budget="paper", dim="2").params == {"dim": 2, "regularizer": "auto", "cv_repeats": 3}
    assert dpca(budget="quick", cv_repeats=5).params["cv_repeats"] == 5  # given values beat the budget
    assert resolve_params(dpca, {}, "quick") == resolve("method", "dpca", dpca.defaults, {},
                                                         budgets=dpca.budgets, budget="quick")
    assert BUDGETS == ("quick", "paper", "converged")


@pytest.mark.parametrize("build, message", [
    (lambda: BUILTIN_METHODS["pca"](foo=1), "method 'pca': unknown parameter(s) foo; known parameters: dim"),
    (lambda: BUILTIN_METHODS["pca"](dim="three"), "method 'pca' parameter 'dim': expected int, got 'three'"),
    (lambda: BUILTIN_METHODS["pca"](budget="long"),
     "argument --budget: unknown budget 'long'; expected one of ('quick', 'paper', 'converged')"),
    (lambda: _Task(beta=1, gamma=2), "task 'demo': unknown option(s) beta, gamma; known options: alpha, mode"),
    (lambda: _Task(alpha="x"), "task 'demo' option 'alpha': expected float, got 'x'"),
    (lambda: _Dataset(size=3), "dataset 'toy': unknown option(s) size; known options: flag, n_trials, noise"),
    (lambda: _Dataset(flag="maybe"), "dataset 'toy' option 'flag': expected bool, got 'maybe'"),
    (lambda: _Centre(x=1), "method 'centre': unknown parameter(s) x; known parameters: none"),
])
def test_option_errors_name_the_owner(build, message):
    with pytest.raises(NerBenchError) as error:
        build()
    assert str(error.value) == message


def test_coerce():
    assert coerce("3", 1, "x") == 3 and coerce(3.0, 1, "x") == 3
    assert coerce("No", True, "x") is False and coerce(None, 1, "x") is None
    assert coerce([1], (), "x") == [1] and coerce("a", None, "x") == "a"
    with pytest.raises(NerBenchError, match="^w: expected int, got 2.5$"):
        coerce(2.5, 1, "w")
    assert np.isclose(coerce("1e-3", 0.1, "x"), 1e-3)
