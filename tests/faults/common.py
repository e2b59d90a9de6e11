"""What the fault battery's cases share: a small dataset, the misbehaving plug-ins, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ner_bench.results import VOLATILE_COLUMNS

FAULTY = str(Path(__file__).parents[1] / "plugins" / "faulty.py")
RUNNER_PLUGINS = str(Path(__file__).parents[1] / "plugins" / "runner_methods.py")
SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]"
NER_BENCH = shutil.which("ner-bench", path=str(Path(sys.executable).parent)) or shutil.which("ner-bench")
KEYS = ["task", "method", "method_params", "seed", "train_unit", "test_unit", "split", "decoder", "target", "metric",
        "time_bin", "train_direction", "test_direction", "alignment"]


def cli(*args: str) -> list[str]:
    return [NER_BENCH, *args]


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, **kwargs)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """The table without how and where it ran, in a fixed row order."""
    keep = table.drop(columns=[c for c in (*VOLATILE_COLUMNS, "threads", "versions") if c in table])
    return keep.sort_values(KEYS).reset_index(drop=True).astype(str)


def values_of(table: pd.DataFrame, method: str) -> pd.Series:
    rows = table[table["method"] == method].sort_values(KEYS)
    return rows["value"].reset_index(drop=True)
