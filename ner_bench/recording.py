"""`Recording`: one session x one area, with behaviour aligned bin by bin, validated when built."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import RecordingError

HEMISPHERES = ("left", "right", "unknown")
_BIN_ARRAYS = ("neural", "velocity", "position", "direction", "angle", "trial", "time_in_trial")


#: the per-bin arrays of a recording and their types
ARRAY_FIELDS = {"neural": np.float32, "velocity": np.float64, "position": np.float64, "direction": np.int64,
                "angle": np.float64, "trial": np.int64, "time_in_trial": np.int64}


@dataclass(frozen=True, eq=False)
class Recording:
    """Neural activity and behaviour of one session x one area, trial-major, fixed-length trials.

    Arrays have one row per time bin: ``neural`` (bins x neurons, float32 rates or counts),
    ``velocity`` and ``position`` (bins x 2), ``direction`` (condition class per bin, constant within a
    trial), ``angle`` (target angle in degrees), ``trial`` (trial id per bin) and ``time_in_trial``
    (0 .. trial_length-1). ``id`` is stable across runs and unique within a dataset.

    >>> rec = Recording.from_trials(neural, velocity, direction, id="demo", ...)  # doctest: +SKIP
    """

    id: str
    neural: np.ndarray
    velocity: np.ndarray
    position: np.ndarray
    direction: np.ndarray
    angle: np.ndarray
    trial: np.ndarray
    time_in_trial: np.ndarray
    dataset: str = "unknown"
    subject: str = "unknown"
    date: str = "unknown"
    area: str = "unknown"
    hemisphere: str = "unknown"
    bin_size: float = 0.03
    position_derived: bool = False
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, dtype in ARRAY_FIELDS.items():
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), dtype=dtype))
        _validate(self)

    # ----------------------------------------------------------------- construction helpers
    @classmethod
    def from_trials(cls, *, id: str, neural: np.ndarray, velocity: np.ndarray, direction: np.ndarray,
                    trial_length: int, angle: np.ndarray | None = None,
                    position: np.ndarray | None = None, **meta: Any) -> "Recording":
        """Build from trial-major arrays of whole trials; derives trial ids, time in trial and,
        when ``position`` is not given, position as the within-trial integral of velocity."""
        n_bins = len(neural)
        if trial_length <= 0 or n_bins % trial_length:
            raise RecordingError(f"recording {id!r}: field 'neural' has {n_bins} rows, not a whole number "
                                 f"of {trial_length}-bin trials")
        trial = np.repeat(np.arange(n_bins // trial_length), trial_length)
        time_in_trial = np.tile(np.arange(trial_length), n_bins // trial_length)
        bin_size = meta.get("bin_size", 0.03)
        derived = position is None
        if derived:
            position = integrate_velocity(np.asarray(velocity, float), trial, bin_size)
        if angle is None:
            angle = np.asarray(direction, float) * 45.0
        return cls(id=id, neural=neural, velocity=velocity, position=position, direction=direction,
                   angle=angle, trial=trial, time_in_trial=time_in_trial, position_derived=derived, **meta)

    # ----------------------------------------------------------------- shape facts
    @property
    def n_bins(self) -> int:
        return len(self.neural)

    @property
    def n_neurons(self) -> int:
        return self.neural.shape[1]

    @property
    def trial_ids(self) -> np.ndarray:
        """Trial ids in the order they appear (chronological)."""
        _, first = np.unique(self.trial, return_index=True)
        return self.trial[np.sort(first)]

    @property
    def n_trials(self) -> int:
        return len(self.trial_ids)

    @property
    def trial_length(self) -> int:
        return int(self.time_in_trial.max()) + 1

    @property
    def trial_direction(self) -> np.ndarray:
        """Direction class of each trial, in `trial_ids` order."""
        return self.direction[self.time_in_trial == 0]

    @property
    def session(self) -> str:
        """The recording session: ``subject_date``, shared by the areas recorded that day (M1 and PMd of
        one Chewie day are one session); the recording id when the date is unknown, so that recordings
        of unknown date are never taken for one session."""
        return self.id if self.date == "unknown" else f"{self.subject}_{self.date}"

    @property
    def has_behavior(self) -> bool:
        """Whether the recording carries behaviour: its velocity, always present and finite, is not zero
        throughout. A recording without behaviour stores zeros (as ``without_behavior()`` leaves it)."""
        return bool(np.any(self.velocity))

    @property
    def labels(self) -> np.ndarray:
        """The published training label per bin: ``[10*vx, 10*vy, angle]``."""
        return np.column_stack([10.0 * self.velocity, self.angle])

    # ----------------------------------------------------------------- derived recordings
    def select_trials(self, trial_ids: np.ndarray) -> "Recording":
        """The recording restricted to ``trial_ids`` (kept in this recording's order)."""
        mask = np.isin(self.trial, np.asarray(trial_ids))
        if not mask.any():
            raise RecordingError(f"recording {self.id!r}: no bins belong to the selected trials")
        return self.replace(**{name: getattr(self, name)[mask] for name in _BIN_ARRAYS})

    def without_behavior(self) -> "Recording":
        """A copy whose behaviour fields are blanked (zeros / class 0, two classes kept valid):
        what a method's ``transform`` must not depend on."""
        blank_direction = (self.trial % 2).astype(np.int64)
        return self.replace(velocity=np.zeros_like(self.velocity), position=np.zeros_like(self.position),
                            direction=blank_direction, angle=np.zeros_like(self.angle))

    def read_only(self) -> "Recording":
        """The same recording with read-only views of its arrays: what a method or task is handed, so that
        one that writes into its input fails with a clear error instead of corrupting what the next method
        sees (and what the cache keys were computed from)."""
        views = {}
        for name in ARRAY_FIELDS:
            view = getattr(self, name).view()
            view.flags.writeable = False
            views[name] = view
        return self.replace(**views)

    def replace(self, **changes: Any) -> "Recording":
        return dataclasses.replace(self, **changes)

    def data_hash(self) -> str:
        """Content hash of every array and of the identity fields (for cache keys)."""
        digest = hashlib.sha256()
        for name in _BIN_ARRAYS:
            array = getattr(self, name)
            digest.update(f"{name}{array.shape}{array.dtype}".encode())
            digest.update(array.tobytes())
        digest.update(f"{self.id}|{self.dataset}|{self.area}|{self.bin_size}".encode())
        return digest.hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """Metadata as a flat dict (for results rows and listings)."""
        return {"recording": self.id, "dataset": self.dataset, "subject": self.subject, "date": self.date,
                "area": self.area, "hemisphere": self.hemisphere, "n_neurons": self.n_neurons,
                "n_trials": self.n_trials, "trial_length": self.trial_length}

    def __repr__(self) -> str:
        return (f"Recording({self.id!r}, {self.n_trials} trials x {self.trial_length} bins, "
                f"{self.n_neurons} neurons, area={self.area}, hemisphere={self.hemisphere})")


def integrate_velocity(velocity: np.ndarray, trial: np.ndarray, bin_size: float) -> np.ndarray:
    """Position from velocity: cumulative sum within each trial, times the bin size, starting at 0."""
    position = np.empty_like(velocity, dtype=float)
    for t in np.unique(trial):
        rows = trial == t
        steps = velocity[rows] * bin_size
        position[rows] = np.cumsum(steps, axis=0) - steps[0]
    return position


def _validate(rec: Recording) -> None:
    def fail(field_name: str, problem: str) -> None:
        where = f" ({rec.source})" if rec.source else ""
        raise RecordingError(f"recording {rec.id!r}{where}: field {field_name!r} {problem}")

    if rec.neural.ndim != 2 or rec.neural.shape[0] == 0 or rec.neural.shape[1] == 0:
        fail("neural", f"must be a non-empty 2-D (bins x neurons) array, got shape {rec.neural.shape}")
    n = rec.n_bins
    expected = {"velocity": (n, 2), "position": (n, 2), "direction": (n,), "angle": (n,), "trial": (n,),
                "time_in_trial": (n,)}
    for name, shape in expected.items():
        if getattr(rec, name).shape != shape:
            fail(name, f"has shape {getattr(rec, name).shape}, expected {shape} to match 'neural' ({n} bins)")
    for name in ("neural", "velocity", "position", "angle"):
        bad = ~np.isfinite(getattr(rec, name))
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            fail(name, f"has {int(bad.sum())} non-finite values (NaN or inf), first at bin {row}")
    if rec.hemisphere not in HEMISPHERES:
        fail("hemisphere", f"is {rec.hemisphere!r}, expected one of {HEMISPHERES}")
    _validate_trials(rec, fail)


def _validate_trials(rec: Recording, fail) -> None:
    starts = np.flatnonzero(np.r_[True, rec.trial[1:] != rec.trial[:-1]])
    lengths = np.diff(np.r_[starts, rec.n_bins])
    if len(np.unique(rec.trial)) != len(starts):
        fail("trial", "has trials whose bins are not contiguous")
    if len(set(lengths.tolist())) != 1:
        fail("trial", f"has trials of different lengths {sorted(set(lengths.tolist()))}: trials must be whole "
                      "and of one length")
    length = int(lengths[0])
    if not np.array_equal(rec.time_in_trial, np.tile(np.arange(length), len(starts))):
        fail("time_in_trial", f"must count 0..{length - 1} within every trial")
    per_trial = rec.direction.reshape(len(starts), length)
    if (per_trial != per_trial[:, :1]).any():
        fail("direction", "changes within a trial; it must be constant per trial")
    if len(np.unique(rec.direction)) < 2:
        fail("direction", f"has {len(np.unique(rec.direction))} distinct class(es); at least two are needed")
