"""Fault battery: concurrent runs into one folder, crashes between writes, full disks, unwritable folders."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys

import pandas as pd
import pytest

from ner_bench.errors import NerBenchError
from ner_bench.run_folder import read_table
from ner_bench.run_folder.embeddings import EmbeddingCache
from ner_bench.run_folder.evaluations import EvaluationStore
from ner_bench.runner import run

from .common import SMALL, cli, comparable, run_cli

RUN = ("run", "--methods", "pca,random", "--dataset", SMALL)


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def both_tables(out) -> pd.DataFrame:
    csv, _ = read_table(out / "results.csv")  # versions restored from versions.json
    parquet = pd.read_parquet(out / "results.parquet")
    assert len(csv) == len(parquet) and list(csv.columns) == list(parquet.columns)
    pd.testing.assert_series_equal(csv["value"], parquet["value"], check_dtype=False)
    return parquet


@pytest.mark.parametrize("folder_state", ["fresh", "cached"])
def test_two_identical_runs_at_once_both_succeed_and_leave_a_single_runs_table(tmp_path, folder_state):
    single = tmp_path / "single"
    assert run_cli(*RUN, "--out", str(single)).returncode == 0
    shared = tmp_path / "shared"
    if folder_state == "cached":
        assert run_cli(*RUN, "--out", str(shared)).returncode == 0
    runs = [subprocess.Popen(cli(*RUN, "--out", str(shared)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    pd.testing.assert_frame_equal(comparable(both_tables(shared)), comparable(both_tables(single)))
    assert not [p for p in shared.iterdir() if p.name.endswith(".tmp")]


def test_two_different_task_lists_at_once_leave_valid_tables(tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(cli(*RUN, "--task", "within-session", "--out", str(out)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(cli(*RUN, "--task", "latent-correlation,cross-session", "--out", str(out)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    # one run waited for the other; the folder's table holds both runs' rows (it accumulates)
    assert set(both_tables(out)["task"]) == {"within-session", "latent-correlation", "cross-session"}


def test_a_failure_while_writing_the_results_keeps_the_previous_pair(tmp_path, monkeypatch):
    run(methods="pca", dataset=SMALL, out=tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in ("results.csv", "results.parquet")}
    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)  # the parquet file is written first, then this fails
    with pytest.raises(NerBenchError, match="could not write the results table.*kept for a rerun"):
        run(methods="pca,random", dataset=SMALL, out=tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_fit_that_cannot_be_stored_fails_alone_naming_the_full_disk(tmp_path, monkeypatch):
    original = EmbeddingCache.put

    def put(self, key, values, meta):
        if meta.get("method") == "random":
            full_disk()
        return original(self, key, values, meta)

    monkeypatch.setattr(EmbeddingCache, "put", put)
    table = run(methods="pca,random", dataset=SMALL, out=tmp_path)
    assert (table.loc[table["method"] == "pca", "status"] == "ok").all()
    failed = table[table["method"] == "random"]
    assert (failed["status"] == "failed").all() and failed["error"].str.contains("No space left on device").all()


def test_scores_that_cannot_be_stored_are_still_reported(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(EvaluationStore, "put", full_disk)
    table = run(methods="pca", dataset=SMALL, out=tmp_path)
    assert (table["status"] == "ok").all() and "could not be kept" in caplog.text


@pytest.mark.parametrize("make", ["a file", "results.csv a folder", "cache a file"])
def test_an_unwritable_out_fails_before_any_fit_in_one_line(tmp_path, make):
    out = tmp_path / "out"
    if make == "a file":
        out.write_text("not a folder")
    else:
        out.mkdir()
        (out / make.split()[0]).mkdir() if make.endswith("folder") else (out / "cache").write_text("x")
    done = run_cli(*RUN, "--out", str(out))
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot be written" in lines[0], done.stderr
    assert not (out / "fits").is_dir() if out.is_dir() else True


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="RLIMIT_FSIZE on Linux")
def test_a_real_write_limit_on_worker_processes_fails_the_fits_alone_and_leaves_no_partial_files(tmp_path):
    """Not a simulation: every process of the run (workers inherit it) may write files of 9 kB at most, so
    storing an embedding fails with EFBIG inside the workers, as a full disk would with ENOSPC."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (9000, 9000))

    out = tmp_path / "out"
    done = subprocess.run(cli(*RUN, "--jobs", "2", "--out", str(out)), preexec_fn=limit, capture_output=True,
                          text=True, timeout=300)
    errors = [line for line in done.stderr.splitlines() if "failed: could not store the fit" in line]
    assert done.returncode == 2 and len(errors) == 6 and all("File too large" in line for line in errors)
    assert "could not write the results table" in done.stderr.splitlines()[-1]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")] and not (out / "results.csv").exists()
