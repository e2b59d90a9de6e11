"""What a method's ``transform`` must return, checked once, the same way for a run and for
``ner-bench check-method``: a (n_bins, dim) array of real numbers that are finite as float32, the type
embeddings are stored in. Checking after the cast catches 1e300, which passes a float64 finiteness check
and becomes inf in the store."""

from __future__ import annotations

import numpy as np

from .recording import Recording


def shape_problem(values: np.ndarray, recording: Recording) -> str:
    """Why ``values`` does not have one row per bin of ``recording`` ("" when it does)."""
    if values.ndim != 2 or values.shape[0] != recording.n_bins or values.shape[1] < 1:
        return (f"transform returned shape {values.shape}; expected ({recording.n_bins}, dim) "
                f"for recording {recording.id!r}")
    return ""


def dtype_problem(values: np.ndarray) -> str:
    """Why ``values`` are not real numbers ("" when they are: floats, or integers, which are cast)."""
    if np.iscomplexobj(values):
        return f"transform returned complex values (dtype {values.dtype}); expected real floats"
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        return f"transform returned dtype {values.dtype}; expected floats"
    return ""


def finite_problem(stored: np.ndarray, recording: Recording) -> str:
    """Why the float32 values are not all finite ("" when they are)."""
    bad = int((~np.isfinite(stored)).sum())
    return (f"transform returned {bad} non-finite values (NaN, inf, or beyond float32's range) "
            f"for recording {recording.id!r}") if bad else ""


def as_embedding(raw: object, recording: Recording) -> np.ndarray:
    """The method's output as the float32 (n_bins, dim) array that is stored; ValueError saying what is wrong."""
    values = np.asarray(raw)
    problem = shape_problem(values, recording) or dtype_problem(values)
    if problem:
        raise ValueError(problem)
    with np.errstate(over="ignore", invalid="ignore"):
        stored = values.astype(np.float32)
    problem = finite_problem(stored, recording)
    if problem:
        raise ValueError(problem)
    return stored
