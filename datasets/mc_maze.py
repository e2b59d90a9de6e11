"""MC_Maze (DANDI 000128): monkey Jenkins reaching through a maze, M1 and PMd, straight and curved reaches.

One recording per area (``M1``, ``PMd``, and ``M1+PMd`` with ``combined=True``) holding the trials of one
*trial set*: some maze trial types with their straight and/or curved versions.

- Bins: spike counts of every sorted unit in 5-ms bins, smoothed with a Gaussian of sd 50 ms (over the
  trial, up to 150 ms either side of the window, so the window's edges see real neighbours), kept from
  50 ms before to 450 ms after movement onset (``move_onset_time``): 100 bins per trial.
- Behaviour: hand velocity (``hand_vel``, else the derivative of ``hand_pos``) and hand position
  (``hand_pos``, else the integral of velocity), sampled at bin centres and converted from the file's mm
  to cm, so that labels are on the scale of the NER release (velocities of tens of cm/s).
- Straight or curved: ``trial_version`` 0 is the maze without barriers (a straight reach); versions 1
  (barriers, one target) and 2 (barriers, three targets, one reachable) force a curved reach
  (``curved_versions`` changes this).
- ``direction``: the condition class of each trial, i.e. the index of (trial type, straight/curved) in the
  trial set's order (straight before curved). ``angle``: the reach angle in degrees from the hand's start
  to the reachable target (``target_pos``/``active_target``), or class * 45 when the file has no targets.
- ``meta["trial_conditions"]``: trial id -> {trial_type, trial_version, reach, condition}; trial ids are
  the file's trial ids, so ``Recording.select_trials`` (which keeps ``meta`` whole) stays consistent.

Trial sets (option ``trial_set``) are named ``<reaches>-<type>[-<type>...]`` with reaches ``straight``,
``curved`` or ``straight-curved``. The published ones are in ``PUBLISHED_TRIAL_SETS``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ner_bench import Dataset, NerBenchError, Recording
from ner_bench.recording import integrate_velocity
from ner_bench.builtins.datasets._dandi_fetch import find_or_fetch
from ner_bench.builtins.datasets._maze_nwb import BehaviourSeries, MazeSession, read_maze_nwb

log = logging.getLogger(__name__)

PUBLISHED_TRIAL_SETS = ("straight-curved-13", "straight-curved-18", "straight-curved-38",
                        "straight-curved-13-38-18", "curved-37-1", "curved-31-38", "curved-34-18",
                        "curved-37-1-31-38-34-18")
MM_PER_CM = 10.0
SMOOTHING_REACH_SD = 3  # bins outside the window that the smoothing sees, in units of the Gaussian's sd
_SET_PATTERN = re.compile(r"^(straight-curved|curved-straight|straight|curved)-(\d+(?:-\d+)*)$")


@dataclass(frozen=True)
class TrialSet:
    """Maze trial types and which reaches (straight, curved) of them are kept."""

    name: str
    types: tuple[int, ...]
    reaches: tuple[str, ...]

    @classmethod
    def parse(cls, name: str) -> "TrialSet":
        match = _SET_PATTERN.match(str(name).strip())
        if not match:
            raise NerBenchError(f"dataset 'mc_maze' option 'trial_set': {name!r} is not a trial set; expected "
                                "'<reaches>-<type>[-<type>...]' with reaches straight, curved or straight-curved, "
                                f"e.g. one of the published sets {', '.join(PUBLISHED_TRIAL_SETS)}")
        reaches = ("straight", "curved") if "-" in match.group(1) else (match.group(1),)
        types = tuple(dict.fromkeys(int(t) for t in match.group(2).split("-")))
        return cls(str(name).strip(), types, reaches)

    def conditions(self) -> list[tuple[int, str]]:
        """(trial type, reach) of every condition, in class order."""
        return [(t, r) for t in self.types for r in self.reaches]


def condition_label(trial_type: int, reach: str) -> str:
    return f"{trial_type}-{reach}"


class McMaze(Dataset):
    name = "mc_maze"
    description = ("MC_Maze (DANDI 000128): Jenkins M1 and PMd, maze reaches, 5-ms bins from 50 ms before to "
                   "450 ms after movement onset; trial sets of straight and curved reaches")
    defaults = {"path": "", "trial_set": "straight-curved-13-38-18", "curved_versions": [1, 2],
                "combined": False, "download": True, "bin_ms": 5.0, "smooth_sd_ms": 50.0,
                "start_ms": -50.0, "stop_ms": 450.0}

    def load(self) -> list[Recording]:
        trial_set = TrialSet.parse(self.options["trial_set"])
        path = Path(self.options["path"]).expanduser() if self.options["path"] else \
            find_or_fetch(self.data_dir, download=self.options["download"])
        session = read_maze_nwb(path)
        window = self._window()
        chosen = select_trials(session, trial_set, self._curved_versions(), window)
        binned = bin_trials(session, chosen.rows, window)
        return self._recordings(session, trial_set, chosen, binned)

    def _curved_versions(self) -> tuple[int, ...]:
        value = self.options["curved_versions"]
        versions = tuple(int(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
        if 0 in versions or not versions:
            raise NerBenchError(f"dataset 'mc_maze' option 'curved_versions': {list(versions)} must be non-empty "
                                "and exclude 0 (version 0 is the maze without barriers: a straight reach)")
        return versions

    def _window(self) -> "Window":
        o = self.options
        n_bins = (o["stop_ms"] - o["start_ms"]) / o["bin_ms"]
        if o["bin_ms"] <= 0 or n_bins < 1 or abs(n_bins - round(n_bins)) > 1e-9 or o["smooth_sd_ms"] < 0:
            raise NerBenchError(f"dataset 'mc_maze': window {o['start_ms']}..{o['stop_ms']} ms must be a positive "
                                f"whole number of {o['bin_ms']}-ms bins, and smooth_sd_ms >= 0")
        return Window(o["start_ms"] / 1000, o["bin_ms"] / 1000, int(round(n_bins)), o["smooth_sd_ms"] / o["bin_ms"])

    def _recordings(self, session: MazeSession, trial_set: TrialSet, chosen: "ChosenTrials",
                    binned: "BinnedTrials") -> list[Recording]:
        areas = [[a] for a in ("M1", "PMd") if (session.unit_areas == a).any()]
        if len(areas) < 2:
            log.warning("%s: all units are in %s", session.path, areas[0][0])
        if self.options["combined"] and len(areas) == 2:
            areas.append(["M1", "PMd"])
        ids = chosen.trial_ids
        n_bins = binned.n_bins
        common = dict(velocity=binned.velocity, position=binned.position,
                      direction=np.repeat(chosen.classes, n_bins), angle=np.repeat(chosen.angles, n_bins),
                      trial=np.repeat(ids, n_bins), time_in_trial=np.tile(np.arange(n_bins), len(ids)),
                      dataset=self.name, subject=session.subject, date=session.date, hemisphere="unknown",
                      bin_size=binned.bin_size, position_derived=binned.position_derived, source=str(session.path))
        recordings = []
        for area_parts in areas:
            area = "+".join(area_parts)
            units = np.isin(session.unit_areas, area_parts)
            recordings.append(Recording(
                id=f"{session.subject}_{session.date.replace('-', '')}_{area}_{trial_set.name}",
                neural=binned.neural[:, units], area=area, **common,
                meta={"trial_set": trial_set.name, "conditions": chosen.labels,
                      "trial_conditions": chosen.by_trial, "unit_ids": session.unit_ids[units].tolist(),
                      "area_rule": session.area_rule, "angle_source": chosen.angle_source}))
        return recordings


# ----------------------------------------------------------------------------- selecting trials
@dataclass
class ChosenTrials:
    rows: np.ndarray  # row of each chosen trial in the file's trials table (file order)
    trial_ids: np.ndarray
    classes: np.ndarray  # condition class per trial
    angles: np.ndarray  # degrees per trial
    labels: list[str]  # condition label per class
    by_trial: dict[int, dict]
    angle_source: str


def reach_of(version: int, curved_versions: tuple[int, ...]) -> str | None:
    if version == 0:
        return "straight"
    return "curved" if version in curved_versions else None


def select_trials(session: MazeSession, trial_set: TrialSet, curved_versions: tuple[int, ...],
                  window: "Window") -> ChosenTrials:
    """The trials of ``trial_set`` whose movement window lies inside the trial, in file order."""
    columns = session.trials
    types, versions = columns["trial_type"], columns["trial_version"]
    reaches = np.array([reach_of(int(v), curved_versions) or "" for v in versions])
    conditions = trial_set.conditions()
    missing = [condition_label(*c) for c in conditions if not ((types == c[0]) & (reaches == c[1])).any()]
    if len(missing) == len(conditions):
        raise NerBenchError(f"dataset 'mc_maze': trial set {trial_set.name!r} selects no trials in {session.path} "
                            f"(trial types there: {sorted(set(types.tolist()))})")
    if missing:
        raise NerBenchError(f"dataset 'mc_maze': trial set {trial_set.name!r} has no trials of condition(s) "
                            f"{', '.join(missing)} in {session.path}")
    if len(conditions) < 2:
        raise NerBenchError(f"dataset 'mc_maze': trial set {trial_set.name!r} has one condition only; at least "
                            "two are needed (e.g. straight-curved-13)")
    class_of = {c: k for k, c in enumerate(conditions)}
    keys = list(zip(types.tolist(), reaches.tolist()))
    rows = np.array([i for i, key in enumerate(keys) if key in class_of], dtype=np.int64)
    rows = rows[_usable(session, rows, window)]
    classes = np.array([class_of[keys[i]] for i in rows], dtype=np.int64)
    lost = [condition_label(*c) for k, c in enumerate(conditions) if not (classes == k).any()]
    if lost:
        raise NerBenchError(f"dataset 'mc_maze': trial set {trial_set.name!r}: no trial of {', '.join(lost)} in "
                            f"{session.path} has a movement onset with the whole window inside the trial")
    angles, source = _reach_angles(session, rows, classes)
    ids = columns["id"][rows]
    by_trial = {int(t): {"trial_type": int(types[i]), "trial_version": int(versions[i]), "reach": keys[i][1],
                         "condition": condition_label(*keys[i])} for t, i in zip(ids, rows)}
    return ChosenTrials(rows, ids, classes, angles, [condition_label(*c) for c in conditions], by_trial, source)


def _usable(session: MazeSession, rows: np.ndarray, window: "Window") -> np.ndarray:
    """Trials with a finite movement onset and the whole window inside [start_time, stop_time]."""
    t = session.trials
    onset = t["move_onset_time"][rows].astype(float)
    first, last = onset + window.start, onset + window.start + window.n_bins * window.bin_size
    ok = np.isfinite(onset) & (first >= t["start_time"][rows]) & (last <= t["stop_time"][rows])
    if (~ok).any():
        log.warning("%s: %d of %d selected trials dropped (no movement onset, or the window leaves the trial)",
                    session.path, int((~ok).sum()), len(rows))
    return ok


def _reach_angles(session: MazeSession, rows: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, str]:
    """Angle (degrees, 0..360) from the median hand position at movement onset to the reachable target."""
    targets = session.target_pos
    if targets is None or session.hand_pos is None:
        return classes * 45.0, "class*45"
    active = session.trials.get("active_target")
    try:
        chosen = np.array([targets[i][int(active[i]) if active is not None else 0] for i in rows], dtype=float)
    except IndexError:
        raise NerBenchError(f"MC_Maze file {session.path}: 'active_target' points past a trial's 'target_pos' "
                            "list") from None
    onset = session.trials["move_onset_time"][rows].astype(float)
    start = np.nanmedian(_sample(session.hand_pos, onset), axis=0)
    offset = chosen - start
    return np.degrees(np.arctan2(offset[:, 1], offset[:, 0])) % 360.0, "target"


# ----------------------------------------------------------------------------- binning
@dataclass(frozen=True)
class Window:
    start: float  # s relative to movement onset
    bin_size: float  # s
    n_bins: int
    smooth_sd_bins: float


@dataclass
class BinnedTrials:
    neural: np.ndarray  # (trials * n_bins, units) smoothed counts per bin
    velocity: np.ndarray  # cm/s
    position: np.ndarray  # cm
    n_bins: int
    bin_size: float
    position_derived: bool


def bin_trials(session: MazeSession, rows: np.ndarray, window: Window) -> BinnedTrials:
    onset = session.trials["move_onset_time"][rows].astype(float)
    reach = int(np.ceil(SMOOTHING_REACH_SD * window.smooth_sd_bins))
    neural = np.concatenate([_smoothed_counts(session, onset[k], session.trials["start_time"][i],
                                              session.trials["stop_time"][i], window, reach)
                             for k, i in enumerate(rows)]).astype(np.float32)
    centres = (onset[:, None] + window.start + (np.arange(window.n_bins) + 0.5) * window.bin_size).ravel()
    velocity, position, derived = _behaviour(session, centres, window)
    for name, values in (("hand velocity", velocity), ("hand position", position)):
        if not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0]) // window.n_bins
            raise NerBenchError(f"MC_Maze file {session.path}: {name} is missing (NaN) inside the window of trial "
                                f"{int(session.trials['id'][rows[bad]])}")
    return BinnedTrials(neural, velocity, position, window.n_bins, window.bin_size, derived)


def _smoothed_counts(session: MazeSession, onset: float, trial_start: float, trial_stop: float, window: Window,
                     reach: int) -> np.ndarray:
    """Counts in the window plus up to ``reach`` bins either side (within the trial), smoothed, cut."""
    before = min(reach, int(np.floor((onset + window.start - trial_start) / window.bin_size + 1e-9)))
    after = min(reach, int(np.floor((trial_stop - onset - window.start) / window.bin_size + 1e-9)) - window.n_bins)
    before, after = max(before, 0), max(after, 0)
    edges = onset + window.start + np.arange(-before, window.n_bins + after + 1) * window.bin_size
    counts = np.stack([np.diff(np.searchsorted(spikes, edges)) for spikes in session.spike_times], axis=1)
    if window.smooth_sd_bins > 0:
        counts = gaussian_filter1d(counts.astype(float), window.smooth_sd_bins, axis=0, mode="reflect")
    return counts[before:before + window.n_bins]


def _behaviour(session: MazeSession, centres: np.ndarray, window: Window) -> tuple[np.ndarray, np.ndarray, bool]:
    """Velocity (cm/s) and position (cm) at bin centres; one derived from the other when absent."""
    if session.hand_vel is not None:
        velocity = _sample(session.hand_vel, centres) / MM_PER_CM
    else:
        pos = session.hand_pos
        derived = np.gradient(pos.values, pos.timestamps, axis=0)
        velocity = _sample(BehaviourSeries(pos.timestamps, derived), centres) / MM_PER_CM
    if session.hand_pos is not None:
        return velocity, _sample(session.hand_pos, centres) / MM_PER_CM, False
    trial = np.repeat(np.arange(len(centres) // window.n_bins), window.n_bins)
    return velocity, integrate_velocity(velocity, trial, window.bin_size), True


def _sample(series: BehaviourSeries, times: np.ndarray) -> np.ndarray:
    """Linear interpolation of each column at ``times`` (NaN outside the recorded samples)."""
    return np.column_stack([np.interp(times, series.timestamps, series.values[:, c], left=np.nan, right=np.nan)
                            for c in range(2)])
