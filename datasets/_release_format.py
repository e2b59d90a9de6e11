"""Reading one session file of the NER release (``*_neural_con_dis_index.mat``, MATLAB v5).

A file holds, row by row (30-ms bins, trial-major, chronological):
``neural_M1`` / ``neural_PMd`` / ``neural_S1`` (bins x neurons), ``continuous_index`` (bins x 2 hand
velocity, raw units), ``discrete_index`` (bins x 1 target direction in degrees) and, in Han's files,
``t_dur`` (bins per trial; 40 when absent). Every problem is reported with the file's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ner_bench import RecordingError

DEFAULT_TRIAL_BINS = 40
VELOCITY_KEY, DIRECTION_KEY, TRIAL_KEY = "continuous_index", "discrete_index", "t_dur"


@dataclass(frozen=True)
class SessionFile:
    """The arrays of one session file: neural activity per area, velocity, direction class per bin."""

    path: Path
    neural: dict[str, np.ndarray]  # area -> bins x neurons
    velocity: np.ndarray  # bins x 2, raw units
    direction: np.ndarray  # class 0..7 per bin
    trial_length: int


def read_session_file(path: str | Path, areas: Sequence[str]) -> SessionFile:
    """Read ``path`` and check it: keys present, shapes agree, velocities finite, whole trials,
    known direction codes. Raises :class:`RecordingError` naming the file and the field."""
    path = Path(path)
    contents = _load_mat(path)
    absent = [key for key in (VELOCITY_KEY, DIRECTION_KEY, *(f"neural_{a}" for a in areas)) if key not in contents]
    if absent:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise RecordingError(f"{path}: missing key(s) {', '.join(absent)}; the file holds {', '.join(found)}")
    velocity = _velocity(path, contents)
    n_bins = len(velocity)
    trial_length = _trial_length(path, contents)
    if n_bins % trial_length:
        raise RecordingError(f"{path}: {n_bins} rows are not a whole number of {trial_length}-bin trials "
                             f"({n_bins / trial_length:.2f})")
    direction = direction_classes(_degrees(path, contents, n_bins), str(path))
    neural = {area: _neural(path, contents, area, n_bins) for area in areas}
    return SessionFile(path, neural, velocity, direction, trial_length)


def direction_classes(degrees: np.ndarray, source: str) -> np.ndarray:
    """Target angle in degrees -> class 0..7, counter-clockwise from 0 degrees.

    Chewie and Mihili write -180..135 (class 0->0, 45->1, 90->2, 135->3, +-180->4, -135->5, -90->6,
    -45->7; Mihili 2014-02-18 writes +180); Han writes 0..315 (class = degrees / 45). Both are
    ``(degrees mod 360) / 45``.
    """
    values = np.asarray(degrees, dtype=float)
    known = np.isfinite(values) & (values % 45 == 0) & (values >= -180) & (values < 360)
    if not known.all():
        unknown = np.unique(values[~known])
        raise RecordingError(f"{source}: field {DIRECTION_KEY!r} has unknown direction code(s) "
                             f"{', '.join(f'{v:g}' for v in unknown[:8])} in {int((~known).sum())} rows, first "
                             f"at row {int(np.flatnonzero(~known)[0])}; expected degrees -180, -135, ..., 180 "
                             "or 0, 45, ..., 315")
    return ((values % 360) // 45).astype(np.int64)


def _load_mat(path: Path) -> dict:
    import scipy.io

    try:
        return scipy.io.loadmat(path)
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except Exception as error:  # scipy raises several types for damaged files
        raise RecordingError(f"{path}: not a readable MATLAB v5 file ({type(error).__name__}: {error})") from None


def _velocity(path: Path, contents: dict) -> np.ndarray:
    velocity = np.asarray(contents[VELOCITY_KEY], dtype=float)
    if velocity.ndim != 2 or velocity.shape[1] != 2 or len(velocity) == 0:
        raise RecordingError(f"{path}: field {VELOCITY_KEY!r} has shape {velocity.shape}, expected bins x 2")
    bad = ~np.isfinite(velocity)
    if bad.any():
        raise RecordingError(f"{path}: field {VELOCITY_KEY!r} has {int(bad.any(axis=1).sum())} rows with NaN "
                             f"or infinite velocity, first at row {int(np.argwhere(bad)[0][0])}")
    return velocity


def _degrees(path: Path, contents: dict, n_bins: int) -> np.ndarray:
    degrees = np.asarray(contents[DIRECTION_KEY])
    if degrees.size != n_bins or degrees.ndim > 2 or (degrees.ndim == 2 and 1 not in degrees.shape):
        raise RecordingError(f"{path}: field {DIRECTION_KEY!r} has shape {degrees.shape}, expected {n_bins} x 1 "
                             f"to match {VELOCITY_KEY!r}")
    return degrees.reshape(n_bins)


def _trial_length(path: Path, contents: dict) -> int:
    if TRIAL_KEY not in contents:
        return DEFAULT_TRIAL_BINS
    value = np.asarray(contents[TRIAL_KEY], dtype=float).ravel()
    if value.size != 1 or not (value[0] > 0 and value[0].is_integer()):
        raise RecordingError(f"{path}: field {TRIAL_KEY!r} is {value.tolist()}, expected one positive whole "
                             "number of bins per trial")
    return int(value[0])


def _neural(path: Path, contents: dict, area: str, n_bins: int) -> np.ndarray:
    key = f"neural_{area}"
    neural = np.asarray(contents[key])
    if neural.ndim != 2 or neural.shape[0] != n_bins or neural.shape[1] == 0:
        raise RecordingError(f"{path}: field {key!r} has shape {neural.shape}, expected {n_bins} x neurons "
                             f"to match {VELOCITY_KEY!r}")
    return neural.astype(np.float32)
