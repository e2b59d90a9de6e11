import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ner_bench import PluginError
from ner_bench.cli import main
from ner_bench.plugins import discover

REPO = Path(__file__).resolve().parents[1]

PLUGIN = textwrap.dedent('''
    import numpy as np
    from ner_bench import Method

    class FirstNeurons(Method):
        name = "first-neurons"
        description = "The first two neurons, as they are"
        defaults = {"dim": 2}

        def fit(self, train, *, seed, device="cpu"):
            return self

        def transform(self, recording):
            return recording.neural[:, : self.params["dim"]]
''')


@pytest.fixture
def plugin_file(tmp_path) -> Path:
    path = tmp_path / "outside" / "first_neurons.py"
    path.parent.mkdir()
    path.write_text(PLUGIN)
    return path


def test_builtins_are_discovered():
    registry = discover()
    assert "pca" in registry.methods and "synthetic" in registry.datasets and "within-session" in registry.tasks
    assert all(description for _, description in registry.describe("methods"))


def test_list_shows_names_and_descriptions(capsys, plugin_file):
    assert main(["list", "methods", "--plugin", str(plugin_file)]) == 0
    out = capsys.readouterr().out
    assert "pca" in out and re.search(r"first-neurons +The first two neurons", out)


def test_plugin_file_outside_the_repository_runs(tmp_path, plugin_file, capsys):
    code = main(["run", "--methods", "first-neurons,pca", "--plugin", str(plugin_file), "--out",
                 str(tmp_path / "out"), "--dataset", "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=40]"])
    assert code == 0
    import pandas as pd
    table = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert set(table["method"]) == {"first-neurons", "pca"}
    assert (table["status"] == "ok").all()


def test_plugin_file_defining_nothing_is_a_one_line_error(tmp_path, capsys):
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert main(["list", "methods", "--plugin", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "empty.py defines no usable Method" in err


@pytest.mark.parametrize("argv, culprit", [
    (["run", "--methods", "nope"], "unknown method 'nope'"),
    (["run", "--task", "nope"], "unknown task 'nope'"),
    (["run", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["run", "--methods", "pca[nope=1]"], "unknown parameter(s) nope"),
    (["run", "--methods", "pca[dim=three]"], "parameter 'dim': expected int"),
])
def test_unknown_names_are_one_line_errors(argv, culprit, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and culprit in err


def test_duplicate_names_are_rejected(tmp_path):
    clash = tmp_path / "clash.py"
    clash.write_text(PLUGIN.replace('"first-neurons"', '"pca"'))
    with pytest.raises(PluginError, match="name 'pca' is defined twice"):
        discover([clash])


@pytest.mark.parametrize("name", ["methods", "datasets", "tasks"])
def test_project_folders_never_shadow_top_level_modules(name, tmp_path):
    """Installed or editable, `import methods` etc. must not resolve to this repository's folders."""
    probe = (f"import importlib.util, sys; spec = importlib.util.find_spec({name!r}); "
             f"print(spec.origin if spec and spec.origin else (list(spec.submodule_search_locations) if spec else None))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(REPO) not in result.stdout


def test_entry_point_plugins_are_discovered(tmp_path, plugin_file):
    site = tmp_path / "site"
    (site / "third_party_fa-0.1.dist-info").mkdir(parents=True)
    (site / "third_party_fa.py").write_text(PLUGIN.replace("first-neurons", "third-party"))
    (site / "third_party_fa-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: third-party-fa\nVersion: 0.1\n")
    (site / "third_party_fa-0.1.dist-info" / "entry_points.txt").write_text(
        "[ner_bench.plugins]\nthird = third_party_fa\n")
    probe = "from ner_bench.plugins import discover; print(sorted(discover().methods))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": str(site), "PATH": ""})
    assert "third-party" in result.stdout


def test_a_builtin_whose_dependency_is_missing_is_reported_not_fatal(monkeypatch):
    """Without an optional extra (e.g. torch), the other plug-ins still load and the missing one explains."""
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def no_torch(name, *args, **kwargs):  # methods declare their packages; discovery looks them up
        return None if name == "torch" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", no_torch)
    registry = discover()
    assert "pca" in registry.methods and "pivae" not in registry.methods
    with pytest.raises(PluginError, match="method 'pivae' is not available: No module named 'torch'.*ner-bench\\[all\\]"):
        registry.get("methods", "pivae")
