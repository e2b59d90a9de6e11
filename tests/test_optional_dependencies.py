"""With only the base dependencies and the test extra (``pip install -e ".[test]"``) the suite collects
without errors, the tests that need an optional package are skipped, and ner_bench imports.

Checked in subprocesses that run with tests/support/without_optional on PYTHONPATH: its sitecustomize
hides every installed package that a base + test install would not have (see tests/support/optional_deps.py).
Tests that need an optional package guard it with ``pytest.importorskip`` (at module top when the whole
module needs it, else first thing in the test or fixture that does).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from support.optional_deps import REPO, WITHOUT_OPTIONAL, canonical

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def run_without_optional(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(WITHOUT_OPTIONAL), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("NER_BENCH_KEEP_EXTRAS", None)  # base + test extra only
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def installed_optional_modules() -> dict[str, str]:
    """Top-level module -> distribution, for the installed distributions the optional extras name."""
    if tomllib is None:
        pytest.skip("reading pyproject.toml needs Python 3.11 (tomllib)")
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = {canonical(re.match(r"[A-Za-z0-9_.-]+", requirement).group())
              for extra, requirements in extras.items() if extra not in ("test", "all")
              for requirement in requirements}
    return {module: dist for module, dists in importlib.metadata.packages_distributions().items()
            for dist in dists if canonical(dist) in wanted and module.isidentifier()}


def test_the_optional_packages_are_hidden_and_the_base_ones_kept():
    optional = installed_optional_modules()
    base = ["numpy", "scipy", "pandas", "pyarrow", "sklearn", "threadpoolctl", "tqdm", "cloudpickle",
            "platformdirs", "pytest", "pytest_benchmark"]
    code = (
        "import importlib, importlib.metadata, json, sys\n"
        "def outcome(module):\n"
        "    try:\n"
        "        importlib.import_module(module)\n"
        "    except ModuleNotFoundError:\n"
        "        return 'missing'\n"
        "    return 'imported'\n"
        "def has_metadata(dist):\n"
        "    try:\n"
        "        importlib.metadata.distribution(dist)\n"
        "    except importlib.metadata.PackageNotFoundError:\n"
        "        return False\n"
        "    return True\n"
        "modules, dists = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "print(json.dumps([{m: outcome(m) for m in modules}, {d: has_metadata(d) for d in dists}]))\n"
    )
    done = run_without_optional("-c", code, json.dumps(sorted(optional) + base), json.dumps(sorted(set(optional.values()))))
    assert done.returncode == 0, done.stderr
    imports, metadata = json.loads(done.stdout)
    assert {m for m in optional if imports[m] != "missing"} == set()
    assert not any(metadata.values()), metadata  # importlib.metadata (and so pytest's plug-in loading) too
    assert {m: imports[m] for m in base} == {m: "imported" for m in base}


def test_ner_bench_imports_and_runs_pca_without_the_optional_packages():
    code = ("import ner_bench, ner_bench.cli\n"
            "ner_bench.run, ner_bench.leaderboard\n"
            "assert ner_bench.cli.main(['list', 'methods']) == 0\n"
            "table = ner_bench.run(methods='pca', tasks='within-session', out=None, progress=False,\n"
            "                      dataset='synthetic[n_sessions=1,n_s1_sessions=0,n_trials=24,n_neurons=12,pool_size=16]')\n"
            "assert (table['status'] == 'ok').all() and table['value'].notna().any()\n")
    done = run_without_optional("-c", code)
    assert done.returncode == 0, done.stderr[-4000:]
    assert re.search(r"^pca\s", done.stdout, re.MULTILINE), done.stdout


@pytest.mark.slow
def test_the_suite_collects_without_the_optional_packages():
    done = run_without_optional("-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-ra")
    output = done.stdout + done.stderr
    last = output.strip().splitlines()[-1]
    assert done.returncode == 0 and "error" not in last, output[-6000:]
    assert re.search(r"\d+ tests? collected", last), last
    assert not re.search(r"^ERROR", output, re.MULTILINE), output[-6000:]
    skipped = dict(re.findall(r"^SKIPPED \[\d+\] (\S+?):\d+: (.*)$", output, re.MULTILINE))
    assert all("could not import" in reason for reason in skipped.values()), skipped
    # where the optional packages are installed here, the modules that need them skip there
    for module, test_module in [("umap", "tests/test_umap.py"), ("cebra", "tests/test_cebra_methods.py"),
                                ("torch", "tests/test_ner_loss.py")]:
        if importlib.util.find_spec(module) is not None:
            assert test_module in skipped, (test_module, sorted(skipped))
