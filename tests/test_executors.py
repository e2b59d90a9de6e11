"""Executors: local worker processes (same results as in-process, GPU pinning), submitit's local
executor end-to-end, and the sbatch script the SLURM executor submits."""

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from ner_bench import NerBenchError
from ner_bench.jobs import FitJob
from ner_bench.results import VOLATILE_COLUMNS
from ner_bench.run_folder import RunFolder
from ner_bench.runner import run
from ner_bench.execution.slurm import SlurmOptions, fit_resources, parse_resources, parse_time, submit
from ner_bench.threads import THREAD_VARIABLES, thread_count
from ner_bench.execution.local_pool import worker_slots

PLUGIN = str(Path(__file__).parent / "plugins" / "runner_methods.py")
SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=32]"
ONE = "synthetic[n_sessions=1,n_s1_sessions=0,n_trials=32]"


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=list(VOLATILE_COLUMNS)).reset_index(drop=True)


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> pd.DataFrame:
    return run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path_factory.mktemp("inline"))


def test_worker_processes_give_the_in_process_results(tmp_path, in_process):
    pooled = run(methods="pca", tasks="within-session", dataset=SMALL, out=tmp_path, jobs=2)
    assert pooled.attrs["fits"]["ran"] == 3
    pd.testing.assert_frame_equal(comparable(pooled), comparable(in_process))


def test_every_executor_gives_bit_identical_numbers(tmp_path, monkeypatch):
    """In this process (``--jobs 1``), on worker processes (``--jobs 2``) and through submitit, fits and
    scoring run under one thread policy, so the values agree to the last bit. The thread variables are
    unset first: the policy, not the environment, must do it. Scoring jobs (one per method x seed) also
    come out in the plan's order whatever order they finish in."""
    pytest.importorskip("submitit")
    for variable in (*THREAD_VARIABLES, "NER_BENCH_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    arguments = dict(methods="pca,random", tasks="within-session,cross-session,latent-correlation", dataset=SMALL,
                     seeds=[0, 1])
    inline = run(**arguments, out=tmp_path / "inline")
    pooled = run(**arguments, out=tmp_path / "pooled", jobs=2)
    submitted = run(**arguments, out=tmp_path / "submitit", executor="submitit-local", jobs=2,
                    slurm=SlurmOptions(poll_seconds=0.1))
    assert inline.attrs["fits"]["ran"] == pooled.attrs["fits"]["ran"] == submitted.attrs["fits"]["ran"] == 12
    assert (inline["status"] == "ok").all() and inline["value"].notna().any()
    assert set(inline["threads"]) == {thread_count()} == {1}
    assert {json.loads(v)["threads"] for v in inline["versions"]} == {"1"}
    pd.testing.assert_frame_equal(comparable(pooled), comparable(inline), check_exact=True)
    pd.testing.assert_frame_equal(comparable(submitted), comparable(inline), check_exact=True)


def test_each_worker_is_pinned_to_one_gpu(tmp_path):
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    table = run(methods=f"envprobe[log_dir={log_dir}]", tasks="within-session", dataset=SMALL, seeds=[0, 1],
                out=tmp_path / "out", plugins=[PLUGIN], gpus=[0, 1], jobs_per_gpu=2)
    probes = [json.loads(p.read_text()) for p in log_dir.glob("*.json")]
    assert len(probes) == 6
    assert {p["device"] for p in probes} == {"cuda"}  # --gpus implies --device cuda
    assert {p["cuda_visible_devices"] for p in probes} == {"0", "1"}  # every worker sees one GPU only
    assert len({p["pid"] for p in probes}) > 1
    pinned = {p["pid"]: p["cuda_visible_devices"] for p in probes}
    assert all(pinned[p["pid"]] == p["cuda_visible_devices"] for p in probes)  # a worker keeps its GPU
    assert set(table["fit_device"]) <= {"cuda (CUDA_VISIBLE_DEVICES=0)", "cuda (CUDA_VISIBLE_DEVICES=1)"}
    assert (table["device"] == "cuda").all()
    assert {p["omp_num_threads"] for p in probes} == {str(thread_count())}  # the policy's, not a share of cores


def test_worker_slots_spread_over_gpus_first():
    assert worker_slots(3) == [None, None, None]
    assert worker_slots(1, ["0", "1"], 2) == ["0", "1", "0", "1"]


def test_submitit_local_executor_end_to_end(tmp_path):
    pytest.importorskip("submitit")
    reference = run(methods="pca", tasks="within-session", dataset=ONE, out=tmp_path / "inline")
    out = tmp_path / "submitit-run"
    table = run(methods="pca,broken", tasks="within-session", dataset=ONE, out=out, plugins=[PLUGIN],
                executor="submitit-local", jobs=2, slurm=SlurmOptions(poll_seconds=0.1))
    pca = table[table["method"] == "pca"]
    pd.testing.assert_frame_equal(comparable(pca), comparable(reference))
    broken = table[table["method"] == "broken"]
    assert (broken["status"] == "failed").all()
    assert broken["error"].str.startswith("RuntimeError: deliberately broken fit").all()
    assert len(list((out / "submitit").glob("*/*_0_log.out"))) == 2  # one submitit job per fit, with logs
    again = run(methods="pca,broken", tasks="within-session", dataset=ONE, out=out, plugins=[PLUGIN],
                executor="submitit-local", jobs=2)
    assert again.attrs["fits"]["ran"] == 0  # the submitted fits stored themselves in the run folder


@pytest.fixture
def fake_sbatch(tmp_path, monkeypatch) -> Path:
    """An `sbatch` on PATH that keeps the scripts it is given and answers like SLURM."""
    bin_dir, kept = tmp_path / "bin", tmp_path / "submitted"
    bin_dir.mkdir()
    kept.mkdir()
    script = bin_dir / "sbatch"
    script.write_text(f'#!/bin/sh\ncp "$1" {kept}/\necho "Submitted batch job 4242"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    srun = bin_dir / "srun"  # submitit looks for it to tell that it is on a cluster; never run here
    srun.write_text("#!/bin/sh\nexit 1\n")
    srun.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return kept


def small_jobs(method_class, n=3, device="cpu") -> list[FitJob]:
    from support.recordings import make_recording
    from ner_bench import chronological_split

    recordings = [make_recording(id=f"rec{i}") for i in range(n)]
    return [FitJob(method=method_class.name, params={}, method_version="1", recording=r,
                   split=chronological_split(r), seed=0, device=device, method_class=method_class)
            for r in recordings]


class GpuMethod:
    name, uses_gpu, resources = "gpumethod", True, {"cpus": 4, "mem_gb": 16}


def test_slurm_executor_submits_one_job_array_with_the_options(tmp_path, fake_sbatch):
    pytest.importorskip("submitit")
    options = SlurmOptions(partition="gpu", time_min=90, array_parallelism=4, extra={"account": "lab"},
                           setup=("module load cuda", "source ~/venv/bin/activate"))
    submitted = submit(small_jobs(GpuMethod, 5, device="cuda"), options, RunFolder(tmp_path / "out"), local=False)
    assert [handle.job_id for _, handle in submitted] == [f"4242_{i}" for i in range(5)]
    script = next(fake_sbatch.iterdir()).read_text()
    for expected in ("#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --array=0-4%4",
                     "#SBATCH --cpus-per-task=4", "#SBATCH --gpus-per-node=1", "#SBATCH --mem=16GB",
                     "#SBATCH --account=lab", "#SBATCH --job-name=ner-bench-gpumethod",
                     "module load cuda", "source ~/venv/bin/activate"):
        assert expected in script


def test_fit_resources_layers():
    job = small_jobs(GpuMethod, 1, device="cuda")[0]
    assert fit_resources(job, SlurmOptions()) == {"cpus": 4, "gpus": 1, "mem_gb": 16}
    assert fit_resources(job, SlurmOptions(gpus=2))["gpus"] == 2
    assert fit_resources(job, SlurmOptions(resources={"gpumethod": {"mem_gb": 32}}))["mem_gb"] == 32
    cpu_job = small_jobs(GpuMethod, 1, device="cpu")[0]
    assert fit_resources(cpu_job, SlurmOptions())["gpus"] == 0  # no GPU requested for a CPU run


def test_parse_resources_and_time():
    assert parse_resources("ner=gpus:1,mem_gb:16; umap=cpus:4") == {"ner": {"gpus": 1, "mem_gb": 16},
                                                                    "umap": {"cpus": 4}}
    assert parse_time("90") == 90 and parse_time("1:30:00") == 90 and parse_time("1-00:00:00") == 1440
    for bad in ("ner", "ner=gpus", "ner=disk:3", "ner=gpus:x"):
        with pytest.raises(NerBenchError, match="--slurm-resources"):
            parse_resources(bad)


def test_slurm_off_a_cluster_is_a_one_line_error(tmp_path, monkeypatch):
    pytest.importorskip("submitit")
    monkeypatch.setenv("PATH", str(tmp_path))  # no srun, no sbatch
    with pytest.raises(NerBenchError, match="--executor slurm: .*SLURM login node"):
        submit(small_jobs(GpuMethod, 1), SlurmOptions(), RunFolder(tmp_path / "out"), local=False)


def test_slurm_needs_an_output_folder():
    with pytest.raises(NerBenchError, match="--out"):
        run(methods="pca", dataset=ONE, out=None, executor="submitit-local")
