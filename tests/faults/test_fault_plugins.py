"""Fault battery: plug-ins that end their process, write into their input, return odd outputs or cheat,
at the default --jobs 1 (where a plug-in now runs on a worker process of its own) and at --jobs 2."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from ner_bench.contract import FAIL, check_in_subprocess
from ner_bench.errors import NerBenchError
from ner_bench.runner import run

from .common import FAULTY, RUNNER_PLUGINS, SMALL, run_cli, values_of


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """pca alone, the numbers every run with a misbehaving neighbour must reproduce."""
    return run(methods="pca", dataset=SMALL, out=tmp_path_factory.mktemp("clean"))


def first_lines(rows: pd.DataFrame) -> set[str]:
    return set(rows["error"].str.split("\n").str[0])


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("how", ["exit", "segfault"])
def test_a_method_that_ends_its_process_fails_alone(tmp_path, clean, how, jobs):
    table = run(methods=f"pca,exiting[how={how}]", dataset=SMALL, out=tmp_path, plugins=[FAULTY], jobs=jobs)
    broken = table[table["method"] == "exiting"]
    assert (broken["status"] == "failed").all() and first_lines(broken) <= {
        f"WorkerDied: the worker process running this fit died (exit code {code}): {cause}"
        for code, cause in ((3, "the code it ran ended the process (os._exit, sys.exit in a thread, or a crash)"),
                            (-11, "signal SIGSEGV (a crash in native code)"))}
    pd.testing.assert_series_equal(values_of(table, "pca"), values_of(clean, "pca"))


def test_a_task_that_ends_its_process_at_the_default_jobs_fails_only_its_unit(tmp_path):
    table = run(methods="pca", tasks="crashing[crash_on=Synthie_20260101_M1],within-session", dataset=SMALL,
                out=tmp_path, plugins=[RUNNER_PLUGINS])
    crashed = (table["task"] == "crashing") & (table["train_unit"] == "Synthie_20260101_M1")
    assert (table.loc[crashed, "status"] == "failed").all()
    assert (table.loc[~crashed, "status"] == "ok").all() and set(table.loc[~crashed, "task"]) == {"crashing",
                                                                                                 "within-session"}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_method_that_writes_into_its_recording_fails_and_leaves_the_others_unchanged(tmp_path, clean, jobs):
    table = run(methods="mutating,pca", dataset=SMALL, out=tmp_path, plugins=[FAULTY], jobs=jobs)
    mutating = table[table["method"] == "mutating"]
    assert (mutating["status"] == "failed").all()
    assert all("read-only" in line for line in first_lines(mutating))
    pd.testing.assert_series_equal(values_of(table, "pca"), values_of(clean, "pca"))


def test_a_worker_killed_from_outside_is_fitted_again_by_a_plain_rerun(tmp_path):
    first = run(methods="pca,exiting[how=sigkill]", dataset=SMALL, out=tmp_path, plugins=[FAULTY])
    killed = first[first["method"] == "exiting"]
    assert (killed["status"] == "failed").all() and all("killed from outside" in e for e in first_lines(killed))
    records = [json.loads(p.read_text()) for p in (tmp_path / "fits").glob("*.json")]
    assert sum(bool(r.get("infrastructure")) for r in records) == 3
    again = run(methods="pca,exiting[how=sigkill]", dataset=SMALL, out=tmp_path, plugins=[FAULTY])
    assert again.attrs["fits"]["ran"] == 3  # the killed fits, not the cached pca ones


def test_a_method_error_is_not_refitted_by_a_plain_rerun(tmp_path):
    run(methods="exiting[how=exit]", dataset=SMALL, out=tmp_path, plugins=[FAULTY])
    again = run(methods="exiting[how=exit]", dataset=SMALL, out=tmp_path, plugins=[FAULTY])
    assert again.attrs["fits"]["ran"] == 0 and again.attrs["fits"]["failed"] == 3


@pytest.mark.parametrize("kind, accepted", [("int", True), ("float", True), ("complex", False), ("huge", False)])
def test_the_run_and_check_method_judge_an_output_the_same_way(tmp_path, kind, accepted):
    table = run(methods=f"output[kind={kind}]", dataset=SMALL, out=tmp_path, plugins=[FAULTY])
    assert (table["status"] == "ok").all() == accepted, first_lines(table)
    results = {r.name: r for r in check_in_subprocess("output", params={"kind": kind}, plugins=[FAULTY], seed=0,
                                                      budget="quick", time_limit=None)}
    passed = results["shape and dtype"].status != FAIL and results["finite values"].status != FAIL
    assert passed == accepted, results


def test_check_method_catches_behaviour_memoised_by_recording_id():
    results = {r.name: r for r in check_in_subprocess("memoising", params={}, plugins=[FAULTY], seed=0,
                                                      budget="quick", time_limit=None)}
    assert results["no behaviour at transform"].status == FAIL


def test_check_method_reports_a_method_that_ends_its_process():
    done = run_cli("check-method", "exiting", "--plugin", FAULTY)
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "ended the check's process (exit code 3)" in done.stdout


@pytest.mark.parametrize("dataset, message", [("raising", "failed to load: OSError: the data server is down"),
                                              ("not-recordings", "must return Recordings, got 1 dict")])
def test_a_dataset_plug_in_that_fails_is_named_with_its_file(tmp_path, dataset, message):
    with pytest.raises(NerBenchError, match=message) as caught:
        run(methods="pca", dataset=dataset, out=tmp_path, plugins=[FAULTY])
    assert "faulty.py" in str(caught.value)


@pytest.mark.skipif(sys.platform != "linux", reason="submitit's local executor")
def test_submitit_local_honours_the_timeout(tmp_path):
    pytest.importorskip("submitit")
    table = run(methods="sleepy[sleep=30]", dataset="synthetic[n_sessions=1,n_s1_sessions=0,n_trials=24]",
                out=tmp_path, plugins=[RUNNER_PLUGINS], executor="submitit-local", timeout=2)
    assert (table["status"] == "failed").all()
    assert all("TimeoutError" in line and "--timeout 2" in line for line in first_lines(table))
    assert np.isnan(table["value"]).all()
