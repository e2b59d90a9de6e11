"""A broken method fails alone: its error is in the results, the fit records and the summary; the exit
code is non-zero; --retry-failed refits only the failures."""

import json
from pathlib import Path

import pytest

from ner_bench.cli import main
from ner_bench.runner import run

PLUGIN = str(Path(__file__).parent / "plugins" / "runner_methods.py")
SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=32]"
ONE = "synthetic[n_sessions=1,n_s1_sessions=0,n_trials=32]"  # a single recording


def failed_rows(table, method):
    rows = table[table["method"] == method]
    assert len(rows) and (rows["status"] == "failed").all()
    return rows


def test_raising_nan_and_misshapen_methods_fail_alone(tmp_path):
    table = run(methods="pca,broken[mode=raise],broken[mode=nan],broken[mode=shape],broken[mode=exit]",
                tasks="within-session", dataset=SMALL, out=tmp_path, plugins=[PLUGIN])
    pca = table[table["method"] == "pca"]
    assert (pca["status"] == "ok").all() and pca["value"].notna().all()
    errors = {json.loads(p)["mode"]: set(rows["error"].str.split("\n").str[0])
              for p, rows in failed_rows(table, "broken").groupby("method_params")}
    assert errors["raise"] == {"RuntimeError: deliberately broken fit"}
    assert all("non-finite values" in e for e in errors["nan"])
    assert all("transform returned shape" in e for e in errors["shape"])
    assert errors["exit"] == {"SystemExit: 3"}
    assert table.attrs["fits"]["failed"] == 12  # 4 broken variants x 3 recordings
    records = [json.loads(p.read_text()) for p in (tmp_path / "fits").glob("*.json")]
    assert sum(r["status"] == "failed" for r in records) == 12
    assert not list((tmp_path / "cache").rglob("*.npz"))[12:]  # only pca's 3 embeddings are cached
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 3


def test_hanging_and_crashing_methods_are_killed_and_the_run_goes_on(tmp_path):
    table = run(methods="pca,broken[mode=hang],broken[mode=crash]", tasks="within-session", dataset=ONE,
                out=tmp_path, plugins=[PLUGIN], jobs=2, timeout=3)
    assert (table.loc[table["method"] == "pca", "status"] == "ok").all()
    errors = failed_rows(table, "broken").groupby("method_params")["error"].first()
    hang, crash = (errors[e] for e in errors.index if "hang" in e), (errors[e] for e in errors.index if "crash" in e)
    assert next(hang).startswith("TimeoutError: the fit ran past --timeout 3 s")
    assert next(crash).startswith("WorkerDied: the worker process running this fit died (exit code 7)")


def test_timeout_with_one_job_still_runs_fits_in_a_killable_worker(tmp_path):
    table = run(methods="broken[mode=hang]", tasks="within-session", dataset=ONE, out=tmp_path,
                plugins=[PLUGIN], jobs=1, timeout=2)
    assert failed_rows(table, "broken")["error"].str.startswith("TimeoutError").all()


def test_cli_exits_non_zero_and_lists_what_failed(tmp_path, capsys):
    code = main(["run", "--methods", "pca,broken", "--plugin", PLUGIN, "--dataset", SMALL, "--out",
                 str(tmp_path), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "fits: 6 planned, 0 from" in captured.out and "3 failed" in captured.out
    assert "RuntimeError: deliberately broken fit" in captured.err
    assert "--retry-failed" in captured.err
    assert "pca" in captured.out  # the healthy method's summary is still printed


def test_retry_failed_refits_only_the_failures(tmp_path):
    flag = tmp_path / "still-broken"
    flag.touch()
    methods = f"pca,broken[flag={flag}]"
    first = run(methods=methods, tasks="within-session", dataset=SMALL, out=tmp_path / "out", plugins=[PLUGIN])
    assert first.attrs["fits"]["failed"] == 3
    flag.unlink()  # the bug is fixed
    plain = run(methods=methods, tasks="within-session", dataset=SMALL, out=tmp_path / "out", plugins=[PLUGIN])
    assert plain.attrs["fits"]["ran"] == 0 and plain.attrs["fits"]["failed"] == 3  # failures are reported again
    retried = run(methods=methods, tasks="within-session", dataset=SMALL, out=tmp_path / "out",
                  plugins=[PLUGIN], retry_failed=True)
    assert retried.attrs["fits"] == {"planned": 6, "cached": 3, "ran": 3, "failed": 0, "failed_now": 0}
    assert (retried["status"] == "ok").all()
    attempts = {r["method"]: r["attempt"] for r in
                (json.loads(p.read_text()) for p in (tmp_path / "out" / "fits").glob("*.json"))}
    assert attempts == {"pca": 1, "broken": 2}


@pytest.mark.parametrize("argument, message", [
    (["--jobs", "0"], "argument --jobs"), (["--timeout", "-1"], "argument --timeout"),
    (["--gpus", "0", "--executor", "submitit-local"], "argument --gpus"),
    (["--slurm-resources", "ner=gpu:1"], "argument --slurm-resources"),
    (["--slurm-time", "soon"], "argument --slurm-time"),
])
def test_bad_execution_arguments_are_one_line_errors(tmp_path, capsys, argument, message):
    assert main(["run", "--out", str(tmp_path), *argument]) == 2
    assert message in capsys.readouterr().err


def test_a_task_that_kills_its_scoring_worker_fails_only_the_unit_that_did(tmp_path):
    """Scoring runs on the worker processes beside the fits: when one crashes, the units of its job are
    scored again one by one, so that only the unit that crashed fails (with the reason)."""
    table = run(methods="pca,broken[mode=raise]", tasks="crashing[crash_on=Synthie_20260101_M1],within-session",
                dataset=SMALL, out=tmp_path, plugins=[PLUGIN], jobs=2)
    pca = table[table["method"] == "pca"]
    crashed = (pca["task"] == "crashing") & (pca["train_unit"] == "Synthie_20260101_M1")
    assert set(pca.loc[crashed, "error"]) == {
        "evaluation: WorkerDied: the worker process running this job died (exit code 9): the code it ran "
        "ended the process (os._exit, sys.exit in a thread, or a crash)"}
    assert (pca.loc[~crashed, "status"] == "ok").all() and pca.loc[~crashed, "value"].notna().all()
    assert set(pca.loc[~crashed, "task"]) == {"crashing", "within-session"}
    assert (table.loc[table["method"] == "broken", "status"] == "failed").all()
    assert table.attrs["fits"] == {"planned": 6, "cached": 0, "ran": 6, "failed": 3, "failed_now": 3}
