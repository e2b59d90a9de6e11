"""Fault battery: stores that must not trust what they read (task options, swapped, edited or misshapen
cache entries, fit records and stored scores of the wrong shape)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from ner_bench.run_folder.embeddings import EmbeddingCache
from ner_bench.runner import run

from .common import SMALL, comparable, values_of


def entries(out, folder):
    return sorted((out / folder).rglob("*.npz" if folder == "cache" else "*.json"))


@pytest.fixture
def scored(tmp_path):
    """A folder scored with the default tasks' options, and its table."""
    table = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=tmp_path / "out")
    return tmp_path / "out", table


@pytest.mark.parametrize("task", ["within-session[decoders=linear]", "cross-session[alignment=none]"])
def test_stored_scores_answer_only_for_the_options_they_were_scored_with(scored, tmp_path, task):
    out, _ = scored
    reused = run(methods="pca", tasks=task, dataset=SMALL, out=out)
    fresh = run(methods="pca", tasks=task, dataset=SMALL, out=tmp_path / "fresh")
    pd.testing.assert_frame_equal(comparable(reused), comparable(fresh))


def test_a_cache_entry_copied_under_another_key_is_refitted(scored):
    out, table = scored
    first, second = entries(out, "cache")[:2]
    shutil.copy(second, first)
    again = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=out)
    assert again.attrs["fits"]["ran"] == 1
    pd.testing.assert_series_equal(values_of(again, "pca"), values_of(table, "pca"))


@pytest.mark.parametrize("damage", ["another recording", "wrong shape", "nan"])
def test_a_cache_entry_with_a_valid_checksum_but_wrong_content_is_refitted(scored, damage):
    out, table = scored
    path = entries(out, "cache")[0]
    cache = EmbeddingCache(out / "cache")
    values, meta = cache.get(path.stem)
    if damage == "another recording":
        meta = {**meta, "recording": "Synthie_29990101_M1"}
    elif damage == "wrong shape":
        values = values[:-3]
    else:
        values = values.copy()
        values[4, 0] = np.nan
    cache.put(path.stem, values, meta)
    again = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=out)
    assert again.attrs["fits"]["ran"] == 1
    pd.testing.assert_series_equal(values_of(again, "pca"), values_of(table, "pca"))


def test_a_string_timing_in_cache_meta_is_read_as_unknown(scored):
    out, table = scored
    path = entries(out, "cache")[0]
    cache = EmbeddingCache(out / "cache")
    values, meta = cache.get(path.stem)
    cache.put(path.stem, values, {**meta, "fit_seconds": "fast"})
    again = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=out)
    assert again.attrs["fits"]["ran"] == 0 and again["fit_seconds"].isna().any()
    assert (out / "results.parquet").exists()


@pytest.mark.parametrize("content", ["[1, 2]", '"ok"', '{"status": "failed", "attempt": "x", "error": 3}', "{"])
def test_fit_records_of_the_wrong_shape_do_not_crash_the_run(scored, content):
    out, table = scored
    for record in entries(out, "fits"):
        record.write_text(content)
    again = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=out)
    pd.testing.assert_series_equal(values_of(again, "pca"), values_of(table, "pca"))


@pytest.mark.parametrize("edit", ["[1, 2, 3]", "[]", "value+0.5", "bogus row", "{"])
def test_edited_or_misshapen_stored_scores_are_rescored(scored, edit, caplog):
    out, table = scored
    for path in entries(out, "evaluations"):
        entry = json.loads(path.read_text())
        if edit == "value+0.5":
            entry["rows"][0]["value"] += 0.5
            text = json.dumps(entry)
        elif edit == "bogus row":
            entry["rows"].append({"metric": "r2", "value": "high"})
            text = json.dumps(entry)
        else:
            text = edit
        path.write_text(text)
    again = run(methods="pca", tasks="within-session,cross-session", dataset=SMALL, out=out)
    pd.testing.assert_frame_equal(comparable(again), comparable(table))
    assert "rescoring it" in caplog.text
