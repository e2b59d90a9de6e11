"""Fault battery: arguments that used to run wrongly or fail every fit are refused up front, in one line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from .common import SMALL, run_cli

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("arguments, message", [
    (("--methods", "pca[dim=True]"), "parameter 'dim': expected int, got True"),
    (("--methods", "pca[dim=2,dim=3]"), "parameter 'dim' is given twice"),
    (("--methods", "pca[dim=0]"), "parameter 'dim': expected at least 1, got 0"),
    (("--methods", "pca[dim=-2]"), "parameter 'dim': expected at least 1, got -2"),
    (("--dataset", "synthetic[n_sessions=-1]"), "option 'n_sessions': expected at least 1, got -1"),
    (("--dataset", "synthetic[max_rate_hz=nan]"), "option 'max_rate_hz': expected float"),
    (("--seeds", "0,0"), "seed(s) 0 given more than once"),
    (("--seeds", "-1"), "expected integers from 0 to 4294967295, got -1"),
    (("--seeds", "99999999999"), "got 99999999999"),
    (("--timeout", "inf"), "expected a positive, finite number of seconds"),
])
def test_a_bad_argument_is_refused_before_any_fit_in_one_line(tmp_path, arguments, message):
    given = dict(zip(arguments[::2], arguments[1::2]))
    command = ["run", "--dataset", given.pop("--dataset", SMALL), "--out", str(tmp_path / "out")]
    done = run_cli(*command, *[item for pair in given.items() for item in pair])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "out" / "fits").exists()


def test_pyarrow_is_required_past_the_release_that_runs_code_from_parquet_files():
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    floor = next(re.search(r"pyarrow>=([\d.]+)", d).group(1) for d in dependencies if d.startswith("pyarrow"))
    assert tuple(int(part) for part in floor.split(".")) >= (14, 0, 1)


def test_nothing_in_the_run_folder_is_read_with_pickle():
    """Only the runner-to-worker channel and submitit's own results are pickles (README: OUT must be trusted)."""
    for path in (REPO / "ner_bench" / "run_folder").rglob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text, path
        assert all("allow_pickle=False" in line for line in text.splitlines() if "np.load(" in line), path
