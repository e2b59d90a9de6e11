"""A run killed with SIGKILL mid-way, then rerun, gives exactly the results of an uninterrupted run,
redoing only the fits that had not finished."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ner_bench.run_folder.embeddings import EmbeddingCache
from ner_bench.results import VOLATILE_COLUMNS
from ner_bench.runner import run

PLUGIN = str(Path(__file__).parent / "plugins" / "runner_methods.py")
SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=32]"
METHODS = "sleepy[sleep=0.25],pca"
SEEDS = "0,1"
N_FITS = 12  # 2 methods x 2 seeds x 3 recordings


NER_BENCH = shutil.which("ner-bench", path=str(Path(sys.executable).parent)) or shutil.which("ner-bench")


def command(out: Path, *extra: str) -> list[str]:
    return [NER_BENCH, "run", "--methods", METHODS, "--plugin", PLUGIN,
            "--dataset", SMALL, "--seeds", SEEDS, "--task", "within-session", "--out", str(out), *extra]


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return (table.drop(columns=list(VOLATILE_COLUMNS))
            .sort_values(["method", "seed", "train_unit", "decoder", "target", "metric", "split", "time_bin"])
            .reset_index(drop=True))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> pd.DataFrame:
    return run(methods=METHODS, tasks="within-session", dataset=SMALL, seeds=[0, 1], plugins=[PLUGIN],
               out=tmp_path_factory.mktemp("uninterrupted"))


def cache_entries(out: Path) -> int:
    return len(list((out / "cache").rglob("*.npz")))


def workers_of(out: Path) -> list[int]:
    """Worker processes still serving this run folder (their command line names it)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ner_bench.execution.worker" in cmdline and str(out).encode() in cmdline:
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_then_rerun_gives_the_uninterrupted_results(tmp_path, uninterrupted, jobs):
    out = tmp_path / "out"
    victim = subprocess.Popen(command(out, "--jobs", jobs), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while cache_entries(out) < 2 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, victim.stderr.read().decode()
    assert not (out / "results.csv").exists()
    assert 2 <= cache_entries(out) < N_FITS

    if Path("/proc").exists():  # orphaned workers notice and exit
        deadline = time.monotonic() + 10
        while workers_of(out) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert workers_of(out) == []

    kept = cache_entries(out)
    rerun = subprocess.run(command(out, "--jobs", jobs), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    counts = re.search(r"fits: (\d+) planned, (\d+) from .*, (\d+) run now, (\d+) failed", rerun.stdout)
    planned, reused, ran, failed = map(int, counts.groups())
    assert (planned, failed) == (N_FITS, 0)
    assert reused >= kept and reused + ran == N_FITS  # only what was missing was fitted

    resumed = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(comparable(resumed), comparable(uninterrupted))
    cache = EmbeddingCache(out / "cache")
    assert all(cache.get(entry.stem) is not None for entry in (out / "cache").rglob("*.npz"))
