"""Reading an MC_Maze NWB file (DANDI 000128, Neural Latents Benchmark packaging) into plain arrays.

What is read, and why this way:

- **Units**: spike times of every sorted unit, and the array (area) each unit was recorded on. The NLB
  MC_Maze files name units by array: ids 1xxx are on the PMd Utah array and 2xxx on the M1 array (the rule
  users of these files apply). The files' own unit -> electrode links are reported not to be usable for
  this: in the NLB conversion they all point into the first 96 electrode rows, so every unit would look like
  one area (not checked here against the real file: no network). The unit-id rule is therefore used
  whenever every id is a 4-digit 1xxx or 2xxx number; otherwise (e.g. files from other converters) the area
  is read from each unit's electrode: its electrode-group name, else its ``location``.
- **Trials**: the trials table (``move_onset_time``, ``trial_type``, ``trial_version``, start and stop
  times, and ``target_pos``/``active_target`` when present), in file order.
- **Behaviour**: ``hand_pos`` and ``hand_vel`` from the ``behavior`` processing module, with timestamps.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ner_bench import NerBenchError

log = logging.getLogger(__name__)

AREAS = ("M1", "PMd")
REQUIRED_TRIAL_COLUMNS = ("start_time", "stop_time", "move_onset_time", "trial_type", "trial_version")
_UNIT_ID_AREA = {"1": "PMd", "2": "M1"}


@dataclass
class BehaviourSeries:
    """One behavioural time series (samples x 2) and its sample times in seconds."""

    timestamps: np.ndarray
    values: np.ndarray


@dataclass
class MazeSession:
    """The parts of an MC_Maze NWB file that ner-bench uses."""

    path: Path
    subject: str
    date: str  # YYYY-MM-DD
    unit_ids: np.ndarray
    unit_areas: np.ndarray  # "M1" or "PMd" per unit
    area_rule: str  # how unit areas were read: "unit-id" or "electrode"
    spike_times: list[np.ndarray]  # sorted spike times (s) per unit
    trials: dict[str, np.ndarray]  # column -> one value per trial (file order); "id" holds trial ids
    target_pos: list[np.ndarray] | None = None  # per trial: (targets x 2) positions, when present
    hand_pos: BehaviourSeries | None = None
    hand_vel: BehaviourSeries | None = None
    notes: list[str] = field(default_factory=list)


def read_maze_nwb(path: str | Path) -> MazeSession:
    """Read ``path``; raises NerBenchError naming the file when it is missing, not NWB, or lacks a part."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NerBenchError(f"MC_Maze file {path} does not exist")
    try:
        from pynwb import NWBHDF5IO
    except ImportError:
        raise NerBenchError('reading MC_Maze needs pynwb: pip install "ner-bench[maze]"') from None
    try:
        io = NWBHDF5IO(str(path), "r")
    except Exception as error:
        raise NerBenchError(f"MC_Maze file {path} is not an NWB (HDF5) file: {type(error).__name__}: "
                            f"{error}") from None
    with io:
        try:
            nwb = io.read()
        except Exception as error:
            raise NerBenchError(f"MC_Maze file {path} could not be read as NWB: {type(error).__name__}: "
                                f"{error}") from None
        return _session(nwb, path)


def _session(nwb, path: Path) -> MazeSession:
    def fail(what: str) -> NerBenchError:
        return NerBenchError(f"MC_Maze file {path}: {what}")

    if nwb.units is None or len(nwb.units.id) == 0:
        raise fail("has no units table (expected sorted units with spike times)")
    if nwb.trials is None or len(nwb.trials.id) == 0:
        raise fail("has no trials table")
    missing = [c for c in REQUIRED_TRIAL_COLUMNS if c not in nwb.trials.colnames]
    if missing:
        raise fail(f"trials table lacks column(s) {', '.join(missing)}; expected {', '.join(REQUIRED_TRIAL_COLUMNS)}")
    unit_ids = np.asarray(nwb.units.id[:], dtype=np.int64)
    areas, rule = _unit_areas(nwb, unit_ids, fail)
    behaviour = nwb.processing.get("behavior") if nwb.processing else None
    if behaviour is None:
        raise fail("has no 'behavior' processing module (expected hand_pos and/or hand_vel)")
    hand_pos, hand_vel = (_series(behaviour, name) for name in ("hand_pos", "hand_vel"))
    if hand_pos is None and hand_vel is None:
        raise fail("behavior processing module has neither 'hand_pos' nor 'hand_vel'")
    return MazeSession(path=path, subject=_subject(nwb, path), date=nwb.session_start_time.strftime("%Y-%m-%d"),
                       unit_ids=unit_ids, unit_areas=areas, area_rule=rule, spike_times=_spike_times(nwb),
                       trials=_trial_columns(nwb), target_pos=_target_positions(nwb), hand_pos=hand_pos,
                       hand_vel=hand_vel)


def _spike_times(nwb) -> list[np.ndarray]:
    column = nwb.units["spike_times"]
    ends = np.asarray(column.data[:], dtype=np.int64)
    flat = np.asarray(column.target.data[:], dtype=float)
    starts = np.r_[0, ends[:-1]]
    return [np.sort(flat[a:b]) for a, b in zip(starts, ends)]


def _unit_areas(nwb, unit_ids: np.ndarray, fail) -> tuple[np.ndarray, str]:
    by_id = _areas_from_unit_ids(unit_ids)
    by_electrode = _areas_from_electrodes(nwb)
    if by_id is not None:
        if by_electrode is not None and not np.array_equal(by_id, by_electrode):
            log.info("%s: unit electrode links disagree with the unit-id areas (a known defect of the NLB "
                     "conversion); using unit ids (1xxx PMd, 2xxx M1)", nwb.identifier)
        return by_id, "unit-id"
    if by_electrode is not None:
        return by_electrode, "electrode"
    raise fail("cannot tell which units are M1 and which PMd: unit ids are not 1xxx/2xxx and the units' "
               "electrodes name no M1 or PMd group or location")


def _areas_from_unit_ids(unit_ids: np.ndarray) -> np.ndarray | None:
    if not ((unit_ids >= 1000) & (unit_ids < 3000)).all():
        return None
    return np.array([_UNIT_ID_AREA[str(u)[0]] for u in unit_ids])


def _areas_from_electrodes(nwb) -> np.ndarray | None:
    if "electrodes" not in nwb.units.colnames or nwb.electrodes is None:
        return None
    region = nwb.units["electrodes"]
    ends = np.asarray(region.data[:], dtype=np.int64)
    rows = np.asarray(region.target.data[:], dtype=np.int64)
    first_row = rows[np.r_[0, ends[:-1]]]
    labels = []
    for column in ("group_name", "location"):
        if column in nwb.electrodes.colnames:
            names = [str(v) for v in nwb.electrodes[column].data[:]]
            labels.append([_area_in(names[r]) for r in first_row])
    for candidate in labels:
        if all(candidate):
            return np.array(candidate)
    return None


def _area_in(text: str) -> str | None:
    for area in AREAS:
        if re.search(rf"(^|[^A-Za-z0-9]){area}($|[^A-Za-z0-9])", text, flags=re.IGNORECASE):
            return area
    return None


def _trial_columns(nwb) -> dict[str, np.ndarray]:
    table = nwb.trials
    columns = {"id": np.asarray(table.id[:], dtype=np.int64)}
    for name in (*REQUIRED_TRIAL_COLUMNS, "active_target", "num_barriers"):
        if name in table.colnames:
            columns[name] = np.asarray(table[name].data[:])
    for name in ("trial_type", "trial_version"):
        columns[name] = columns[name].astype(np.int64)
    return columns


def _target_positions(nwb) -> list[np.ndarray] | None:
    if "target_pos" not in nwb.trials.colnames:
        return None
    column = nwb.trials["target_pos"]
    if not hasattr(column, "target"):  # one target per trial, stored as a plain (trials x 2) column
        return [np.atleast_2d(row).astype(float) for row in np.asarray(column.data[:])]
    ends = np.asarray(column.data[:], dtype=np.int64)
    flat = np.asarray(column.target.data[:], dtype=float).reshape(-1, 2)
    return [flat[a:b] for a, b in zip(np.r_[0, ends[:-1]], ends)]


def _series(module, name: str) -> BehaviourSeries | None:
    if name not in module.data_interfaces:
        return None
    series = module[name]
    values = np.asarray(series.data[:], dtype=float)
    if series.timestamps is not None:
        times = np.asarray(series.timestamps[:], dtype=float)
    else:
        times = series.starting_time + np.arange(len(values)) / series.rate
    if values.ndim != 2 or values.shape[1] < 2 or len(times) != len(values):
        raise NerBenchError(f"MC_Maze behaviour series {name!r} has shape {values.shape} with {len(times)} "
                            "timestamps; expected (samples x 2) with one timestamp per sample")
    order = np.argsort(times, kind="stable")
    return BehaviourSeries(times[order], values[order, :2])


def _subject(nwb, path: Path) -> str:
    if nwb.subject is not None and nwb.subject.subject_id:
        return str(nwb.subject.subject_id)
    match = re.search(r"sub-([A-Za-z0-9]+)", path.name)
    return match.group(1) if match else "unknown"
