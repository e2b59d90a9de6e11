"""The method contract check: every registered method passes it, and it catches a method that peeks."""

from __future__ import annotations

import textwrap

import pytest

from ner_bench.cli import main
from ner_bench.contract import EXEMPT, FAIL, PASS, check_method, format_report
from ner_bench.plugins import discover
from support.optional_deps import METHOD_MODULES

REGISTRY = discover()

PEEKING = textwrap.dedent('''
    import numpy as np
    from ner_bench import Method

    class Peeker(Method):
        name = "peeker"
        description = "PCA-like, but adds the hand velocity at transform time"

        def fit(self, train, *, seed, device="cpu"):
            self.mean = train.neural.mean(axis=0)
            return self

        def transform(self, recording):
            return (recording.neural - self.mean)[:, :2] + recording.velocity
''')


#: published variants that read behaviour at transform time on purpose (kept to reproduce the paper)
#: must declare it (``uses_behavior_at_transform``), so that the check exempts them explicitly
LEAKY_BY_DESIGN = {"pivae-posterior", "behavior"}
#: methods with nothing to fit on a synthetic recording
NOT_CHECKABLE = {"precomputed": "reads embeddings computed elsewhere from the release's .npz files"}


@pytest.mark.parametrize("name", sorted(REGISTRY.methods))
def test_every_registered_method_passes_the_contract(name):
    if name in NOT_CHECKABLE:
        pytest.skip(NOT_CHECKABLE[name])
    if name in METHOD_MODULES:
        pytest.importorskip(METHOD_MODULES[name])
    cls = REGISTRY.methods[name]
    results = check_method(cls)  # no time limit: tests never assert timings
    assert [r.name for r in results][-2:] == ["same seed", "no behaviour at transform"], format_report(name, results)
    *others, behaviour = results
    assert all(r.passed for r in others), format_report(name, results)
    assert cls.uses_behavior_at_transform == (name in LEAKY_BY_DESIGN)
    if name in LEAKY_BY_DESIGN:
        assert behaviour.status == EXEMPT and not cls.in_all or name == "behavior"
    else:
        assert behaviour.status == PASS, format_report(name, results)


def test_the_behavior_control_is_exempt_explicitly():
    results = check_method(REGISTRY.get("methods", "behavior"))
    behaviour = results[-1]
    assert behaviour.status == EXEMPT and "uses_behavior_at_transform" in behaviour.detail
    assert "1 exempt" in format_report("behavior", results)


def test_a_method_peeking_at_behaviour_fails_with_exit_code_1(tmp_path, capsys):
    plugin = tmp_path / "peeker.py"
    plugin.write_text(PEEKING)
    assert main(["check-method", "peeker", "--plugin", str(plugin)]) == 1
    out = capsys.readouterr().out
    assert "FAIL    no behaviour at transform" in out and "FAILED 1 of 7 checks" in out


def test_wrong_shape_nan_and_unseeded_output_are_caught():
    class Broken(REGISTRY.get("methods", "pca")):
        name = "broken"

        def transform(self, recording):
            out = super().transform(recording)[:-1]
            out[0, 0] = float("nan")
            return out

    results = {r.name: r for r in check_method(Broken)}
    assert results["shape and dtype"].status == FAIL and results["finite values"].status == FAIL

    import numpy as np

    class Unseeded(REGISTRY.get("methods", "pca")):
        name = "unseeded"

        def transform(self, recording):
            return super().transform(recording) + np.random.default_rng().normal(size=(recording.n_bins, 3))

    results = {r.name: r for r in check_method(Unseeded)}
    assert results["same seed"].status == FAIL


def test_a_slow_fit_fails_only_under_a_time_limit():
    results = {r.name: r for r in check_method(REGISTRY.get("methods", "raw"), time_limit=-1.0)}
    assert results["fit time"].status == FAIL and "limit" in results["fit time"].detail


def test_check_params_and_cli_params_reach_the_method(capsys):
    class Tiny(REGISTRY.get("methods", "pca")):
        name = "tiny"
        check_params = {"dim": 2}

    results = check_method(Tiny)
    assert "tiny[dim=2]" in results[0].detail and "(1280, 2)" in results[3].detail
    assert main(["check-method", "pca[dim=4]"]) == 0
    assert "(1280, 4)" in capsys.readouterr().out


@pytest.mark.parametrize("name, culprit", [
    ("nope", "unknown method 'nope'"),
    ("pca[nope=1]", "unknown parameter(s) nope"),
    ("umap-label[target=velocity,target_metric=categorical]", "parameter 'target_metric'"),
])
def test_bad_names_and_parameters_are_one_line_errors(name, culprit, capsys):
    assert main(["check-method", name]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and culprit in err
