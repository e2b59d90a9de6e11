"""The content-addressed fit cache: what the key depends on, corrupt entries, fully cached reruns."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from support.recordings import make_recording
from ner_bench import chronological_split
from ner_bench.hashing import content_key
from ner_bench.run_folder import RunFolder
from ner_bench.run_folder.embeddings import EmbeddingCache
from ner_bench.run_folder.files import atomic_write
from ner_bench.jobs import FitJob, FitOutcome
from ner_bench.results import VOLATILE_COLUMNS
from ner_bench.runner import run

SMALL = "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=32]"


def job(**changes) -> FitJob:
    recording = changes.pop("recording", None) or make_recording()
    fields = dict(method="pca", params={"dim": 3}, method_version="1", recording=recording,
                  split=chronological_split(recording), seed=0)
    fields.update(changes)
    return FitJob(**fields)


def test_key_depends_on_everything_that_determines_the_embedding():
    base = job().key
    assert job().key == base  # stable
    recording = make_recording()
    for changed in (job(params={"dim": 2}), job(seed=1), job(method_version="2"), job(method="fa"),
                    job(recording=make_recording(seed=1)),  # same id, other data
                    job(recording=dataclasses.replace(recording, id="other")),
                    job(split=chronological_split(recording, 0.5))):
        assert changed.key != base


def test_key_ignores_the_device_and_the_budget_name():
    assert job(device="cuda").key == job().key
    assert job(budget="paper").key == job().key  # the budget acts through the resolved parameters


def test_numpy_parameters_hash_like_python_ones():
    assert content_key({"dim": np.int64(3), "w": np.array([1.5])}) == content_key({"dim": 3, "w": [1.5]})


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write(target, lambda s: s.write(b"old"))

    def failing(stream):
        stream.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, failing)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]  # no temporary left behind


def test_cache_detects_truncated_and_tampered_entries(tmp_path):
    cache = EmbeddingCache(tmp_path)
    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    path = cache.put("abcdef", values, {"fit_seconds": 1.0})
    np.testing.assert_array_equal(cache.get("abcdef")[0], values)
    path.write_bytes(path.read_bytes()[:40])
    assert cache.get("abcdef") is None
    cache.put("abcdef", values, {"checksum": "forged"})  # put computes the checksum itself
    assert cache.get("abcdef") is not None


def test_store_reuses_failures_unless_retried_and_ignores_corrupt_records(tmp_path):
    store, failing = RunFolder(tmp_path).fits(), job()
    store.save(failing, FitOutcome(failing.key, "failed", error="RuntimeError: boom"))
    assert store.lookup(failing).error == "RuntimeError: boom"
    assert store.lookup(failing, retry_failed=True) is None
    store.record_path(failing.key).write_text("{not json")
    assert store.lookup(failing) is None


def run_small(out, **kwargs):
    return run(methods="pca", tasks="within-session", dataset=SMALL, seeds=[0, 1], out=out, **kwargs)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=list(VOLATILE_COLUMNS)).reset_index(drop=True)


def test_fully_cached_rerun_does_no_fits_and_gives_the_same_table(tmp_path):
    first = run_small(tmp_path)
    assert first.attrs["fits"] == {"planned": 6, "cached": 0, "ran": 6, "failed": 0, "failed_now": 0}
    assert not first["cached"].any()
    again = run_small(tmp_path)
    assert again.attrs["fits"]["ran"] == 0 and again.attrs["fits"]["cached"] == 6
    assert again["cached"].all()
    pd.testing.assert_frame_equal(comparable(first), comparable(again))
    # the timings of the original fits travel with the cached embeddings
    np.testing.assert_allclose(first["fit_seconds"], again["fit_seconds"])


def test_corrupt_cache_entry_is_recomputed(tmp_path):
    first = run_small(tmp_path)
    entries = sorted((tmp_path / "cache").rglob("*.npz"))
    assert len(entries) == 6
    victim = entries[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # a torn write
    again = run_small(tmp_path)
    assert again.attrs["fits"]["ran"] == 1
    assert EmbeddingCache(tmp_path / "cache").get(victim.stem) is not None  # rewritten whole
    record = json.loads((tmp_path / "fits" / f"{victim.stem}.json").read_text())
    assert record["status"] == "ok" and record["attempt"] == 2
    pd.testing.assert_frame_equal(comparable(first), comparable(again))


def test_fit_records_hold_status_timings_and_provenance(tmp_path):
    run_small(tmp_path)
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "fits").glob("*.json"))]
    assert len(records) == 6
    for record in records:
        assert record["status"] == "ok" and record["error"] == ""
        assert record["method"] == "pca" and record["params"] == {"dim": 3} and record["dim"] == 3
        assert record["fit_seconds"] > 0 and record["transform_seconds"] >= 0 and record["fit_host"]


def test_progress_bar_counts_fits_with_an_eta(tmp_path, capsys):
    run_small(tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "fits and scoring: 100%" in err and "8/8" in err  # 6 fits, then scoring pca for each of 2 seeds
    assert "fits 6/6 (0 failed)" in err
    assert "<" in err  # tqdm's [elapsed<remaining] ETA
