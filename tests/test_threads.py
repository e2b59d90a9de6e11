"""The thread policy: one count for the numeric libraries, whatever process runs a fit or a scoring job."""

import pytest
from threadpoolctl import threadpool_info

from ner_bench import NerBenchError
from ner_bench.threads import ENVIRONMENT_VARIABLE, THREAD_VARIABLES, limited, thread_count, worker_environment


def pools() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info()}


def test_the_count_is_one_unless_ner_bench_threads_says_otherwise(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")  # not the policy's input
    assert thread_count() == 1
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "3")
    assert thread_count() == 3


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_a_bad_count_names_the_variable(monkeypatch, bad):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, bad)
    with pytest.raises(NerBenchError, match=f"{ENVIRONMENT_VARIABLE}='{bad}'"):
        thread_count()


def test_worker_environment_overrides_every_thread_variable():
    env = worker_environment({"OMP_NUM_THREADS": "8", "PATH": "/bin"}, threads=2)
    assert env["PATH"] == "/bin" and env[ENVIRONMENT_VARIABLE] == "2"
    assert all(env[variable] == "2" for variable in THREAD_VARIABLES)


def test_limited_sets_the_loaded_pools_and_restores_them(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    before = threadpool_info()
    with limited() as count:
        assert count == 1 and pools() == {1}
    assert threadpool_info() == before
