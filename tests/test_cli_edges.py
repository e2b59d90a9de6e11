"""Command-line rough edges: --version, -v after the sub-command, one-line usage errors, --data-dir checks,
help text, parameters in ``list methods``, NER_BENCH_TEST_DATA."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ner_bench.cli import build_parser, main

VERSION = importlib.metadata.version("ner-bench")


def run_main(argv: list[str]) -> int:
    """``main(argv)``'s exit code, whether it returns one or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_version_in_process(capsys):
    assert run_main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ner-bench {VERSION}"


def test_version_entry_point():
    script = shutil.which("ner-bench", path=str(Path(sys.executable).parent)) or shutil.which("ner-bench")
    if script is None:
        pytest.skip("the ner-bench entry point is not installed")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ner-bench {VERSION}"


@pytest.mark.parametrize("argv, verbose", [
    (["run"], False),
    (["-v", "run"], True),
    (["run", "-v"], True),
    (["run", "--verbose", "--methods", "pca"], True),
    (["list", "methods", "-v"], True),
    (["data", "list", "-v"], True),
    (["leaderboard", "results", "--out", "board", "-v"], True),
    (["check-method", "pca", "-v"], True),
])
def test_verbose_before_or_after_the_sub_command(argv, verbose):
    assert build_parser().parse_args(argv).verbose is verbose


def test_type_error_is_one_line_without_usage(capsys):
    assert run_main(["run", "--seeds", "a"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[0] == "ner-bench run: error: argument --seeds: expected comma-separated integers, got 'a'"
    assert lines[1:] == ["(see ner-bench run --help)"]
    assert "usage:" not in err and out == ""


def test_top_level_usage_error_is_one_line(capsys):
    assert run_main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "usage:" not in err and len(err.strip().splitlines()) == 2
    assert err.startswith("ner-bench: error: argument COMMAND: invalid choice: 'no-such-command'")


def test_help_still_shows_usage(capsys):
    assert run_main(["run", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: ner-bench run")


def test_run_data_dir_must_exist(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert run_main(["run", "--data-dir", str(missing), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"ner-bench run: error: argument --data-dir: folder {missing} does not exist"
    assert "usage:" not in err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_run_data_dir_that_is_a_file(tmp_path, capsys):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert run_main(["run", "--data-dir", str(afile)]) == 2
    assert f"argument --data-dir: {afile} is not a folder" in capsys.readouterr().err


def test_data_verify_data_dir_must_exist(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert run_main(["data", "verify", "--data-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"ner-bench: error: argument --data-dir: folder {missing} does not exist"


def test_leaderboard_help_has_no_double_percent(capsys):
    assert run_main(["leaderboard", "--help"]) == 0
    out = capsys.readouterr().out
    assert "%%" not in out
    assert "95 % CI" in " ".join(out.split())


@pytest.mark.parametrize("command", ["run", "list", "data", "leaderboard", "check-method"])
def test_no_help_renders_double_percent(command, capsys):
    assert run_main([command, "--help"]) == 0
    assert "%%" not in capsys.readouterr().out


def test_list_methods_shows_parameters_with_defaults(capsys):
    assert run_main(["list", "methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    pca = next(i for i, line in enumerate(lines) if line.split()[:1] == ["pca"])
    assert lines[pca].startswith("pca ") and "PCA fitted on" in lines[pca]
    assert lines[pca + 1].startswith(" ") and lines[pca + 1].strip() == "[dim=3]"
    raw = next(i for i, line in enumerate(lines) if line.split()[:1] == ["raw"])
    assert not lines[raw + 1].startswith(" ")  # no parameters, no second line


def test_misspelt_method_is_a_one_line_error(tmp_path, capsys):
    assert run_main(["run", "--methods", "pcaa", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ner-bench: error: unknown method 'pcaa'") and len(err.splitlines()) == 1


def test_conftest_release_follows_ner_bench_test_data(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_BENCH_TEST_DATA", str(tmp_path))
    spec = importlib.util.spec_from_file_location("conftest_copy", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "conftest_copy", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.RELEASE == tmp_path
    monkeypatch.delenv("NER_BENCH_TEST_DATA")
    spec.loader.exec_module(module)
    assert module.RELEASE == module.REPO.parent / "shared" / "data" / "ner-release"


def test_a_set_up_is_left_out_of_the_eta():
    """A worker's one-off set-up (umap's warm-up) moves the bar's start by its time over the workers."""
    import io

    from tqdm import tqdm

    from ner_bench.execution import ExecutionOptions, leave_out_set_up, parallel_fits

    two_workers, here = ExecutionOptions(jobs=2), ExecutionOptions(jobs=1)
    assert parallel_fits(two_workers) == 2 and parallel_fits(here) == 1
    bar = tqdm(total=10, file=io.StringIO(), disable=False, smoothing=0)
    started = bar.start_t
    leave_out_set_up(bar, 30.0, two_workers)
    leave_out_set_up(bar, 0.0, two_workers)
    assert bar.start_t == pytest.approx(started + 15.0)
    leave_out_set_up(tqdm(total=1, disable=True), 30.0, here)  # a hidden bar: nothing to move, no error
