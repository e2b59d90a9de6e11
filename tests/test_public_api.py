"""The notebook face: real signatures, numpydoc docstrings whose examples run, no module/function clash."""

from __future__ import annotations

import doctest
import inspect
import subprocess
import sys

import pytest

import ner_bench as nb


def test_run_and_leaderboard_show_their_real_signatures():
    run_params = inspect.signature(nb.run).parameters
    assert {"methods", "tasks", "dataset", "seeds", "out", "protocol", "jobs"} <= set(run_params)
    assert "args" not in run_params and "kwargs" not in run_params
    assert {"out", "alpha"} <= set(inspect.signature(nb.leaderboard).parameters)


@pytest.mark.parametrize("function", ["run", "fit_embeddings", "leaderboard"])
def test_public_functions_have_numpydoc_sections(function):
    doc = inspect.getdoc(getattr(nb, function))
    for section in ("Parameters\n----------", "Returns\n-------", "Examples\n--------", ">>> "):
        assert section in doc, f"ner_bench.{function}: no {section.splitlines()[0]!r} section"


def test_importing_the_board_module_does_not_replace_the_function():
    import ner_bench.board  # noqa: F401

    assert inspect.isfunction(nb.leaderboard) and nb.leaderboard.__module__ == "ner_bench.board"


def test_the_task_toolkit_is_exported():
    for name in ("PairwiseTask", "PairwiseDecoding", "decoding_rows", "chosen_decoders", "direction_averages",
                 "pair_type", "with_alignment", "fit_embeddings"):
        assert name in nb.__all__ and getattr(nb, name) is not None


def test_import_ner_bench_stays_light():
    code = "import sys, ner_bench; print(sorted(m for m in ('pandas', 'torch', 'matplotlib') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def public_examples():
    """The docstring examples of the public face (``run`` and the plug-in base classes)."""
    finder = doctest.DocTestFinder()
    objects = [nb.run, nb.fit_embeddings, nb.leaderboard, nb.Method, nb.Task, nb.Dataset]
    return [test for obj in objects for test in finder.find(obj) if test.examples]


@pytest.mark.parametrize("example", public_examples(), ids=lambda test: test.name)
def test_docstring_examples_run(example):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(example)
    assert result.failed == 0
