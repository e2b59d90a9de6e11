"""Writes a small NWB file shaped like the NLB MC_Maze training file, for the tests.

Trials cycle through every (trial type, version) in a shuffled order, so that each condition has trials
in every stretch of the session (the chronological test split gets some of each). Reaches of 100 mm
to a target at a type-specific angle: straight for version 0, bowed sideways for versions 1 and 2. M1
units are tuned to hand velocity 100 ms ahead; PMd units to the target direction and to the curvature,
before and during movement. Behaviour is sampled at 1 kHz within trials, with a NaN sample between
trials as in the NLB files.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

TYPE_ANGLES = {13: 0.0, 18: 120.0, 38: 240.0, 37: 60.0, 1: 180.0}
TRIAL_SECONDS, GAP_SECONDS, ONSET_SECONDS, REACH_SECONDS = 1.2, 0.3, 0.4, 0.4


def write_maze_nwb(path: Path, *, n_reps: int = 6, n_units_per_area: int = 10, nlb_unit_ids: bool = True,
                   with_targets: bool = True, with_hand_vel: bool = True, seed: int = 0) -> Path:
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.behavior import SpatialSeries
    from pynwb.file import Subject

    rng = np.random.default_rng(seed)
    conditions = [(t, v) for t in TYPE_ANGLES for v in (0, 1, 2)]
    order = np.concatenate([rng.permutation(len(conditions)) for _ in range(n_reps)])
    nwb = NWBFile(session_description="synthetic MC_Maze-like session", identifier=f"maze-{seed}",
                  session_start_time=datetime.datetime(2009, 9, 25, tzinfo=datetime.timezone.utc),
                  subject=Subject(subject_id="Jenkins", species="Macaca mulatta"))
    _add_electrodes(nwb, n_units_per_area)
    for column, text in (("move_onset_time", "movement onset (s)"), ("trial_type", "maze"),
                         ("trial_version", "0 no barrier, 1 barriers, 2 barriers + 3 targets"),
                         ("active_target", "index of the reachable target"), ("num_barriers", "barriers")):
        nwb.add_trial_column(column, text)
    if with_targets:
        nwb.add_trial_column("target_pos", "target positions (mm)", index=True)
    times, positions, rates = [], [], {area: [] for area in ("M1", "PMd")}
    tuning = _tuning(rng, n_units_per_area)
    for k, c in enumerate(order):
        trial_type, version = conditions[c]
        start = k * (TRIAL_SECONDS + GAP_SECONDS)
        onset = start + ONSET_SECONDS + rng.uniform(-0.03, 0.03)
        t = np.arange(start, start + TRIAL_SECONDS, 0.001)
        target, pos = _reach(t - onset, TYPE_ANGLES[trial_type], version, rng)
        times.append(np.r_[t, t[-1] + GAP_SECONDS / 2])
        positions.append(np.vstack([pos, [np.nan, np.nan]]))
        for area in rates:
            rates[area].append((t, _rates(area, tuning[area], t - onset, pos, TYPE_ANGLES[trial_type], version)))
        extra = {"target_pos": _targets(target, version)} if with_targets else {}
        nwb.add_trial(start_time=start, stop_time=start + TRIAL_SECONDS, move_onset_time=onset,
                      trial_type=trial_type, trial_version=version, active_target=0,
                      num_barriers=0 if version == 0 else 9, **extra)
    _add_units(nwb, rng, rates, nlb_unit_ids)
    time, position = np.concatenate(times), np.concatenate(positions)
    behaviour = nwb.create_processing_module("behavior", "hand kinematics")
    behaviour.add(SpatialSeries(name="hand_pos", data=position, timestamps=time, reference_frame="screen centre",
                                description="Monkey hand position in mm"))
    if with_hand_vel:
        velocity = np.gradient(position, time, axis=0)
        behaviour.add(TimeSeries(name="hand_vel", data=velocity, timestamps=time, unit="mm/s",
                                 description="Monkey hand velocity in mm/s"))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _add_electrodes(nwb, per_area: int) -> None:
    groups = {}
    for area in ("PMd", "M1"):
        device = nwb.create_device(f"electrode_array_{area}", description=f"Utah array in {area}")
        groups[area] = nwb.create_electrode_group(f"electrode_group_{area}", description=f"array in {area}",
                                                  location=area, device=device)
    for area in ("PMd", "M1"):
        for _ in range(per_area):
            nwb.add_electrode(group=groups[area], location=area)


def _add_units(nwb, rng, rates, nlb_unit_ids: bool) -> None:
    for a, area in enumerate(("PMd", "M1")):
        n_units = len(rates[area][0][1][0])
        for u in range(n_units):
            spikes = np.concatenate([t[rng.random(len(t)) < r[:, u] * 0.001] for t, r in rates[area]])
            if nlb_unit_ids:  # as in the NLB files: area in the id, electrode links all in the first rows
                unit_id, electrode = (1 + a) * 1000 + u + 1, u
            else:
                unit_id, electrode = a * n_units + u, a * n_units + u
            nwb.add_unit(spike_times=spikes, electrodes=[electrode], id=unit_id)


def _reach(t: np.ndarray, angle_deg: float, version: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Hand position (mm) over trial time ``t`` (s from onset): a min-jerk reach, bowed when curved."""
    s = np.clip(t / REACH_SECONDS, 0, 1)
    progress = 10 * s**3 - 15 * s**4 + 6 * s**5
    direction = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])
    side = np.array([-direction[1], direction[0]])
    bow = 0.0 if version == 0 else 45.0
    target = 100.0 * direction
    pos = progress[:, None] * target + (bow * np.sin(np.pi * progress))[:, None] * side
    return target, pos + np.array([2.0, -1.0]) + rng.normal(0, 0.005, pos.shape)


def _targets(target: np.ndarray, version: int) -> list[list[float]]:
    if version < 2:
        return [target.tolist()]
    rotate = lambda deg: [target[0] * np.cos(np.radians(deg)) - target[1] * np.sin(np.radians(deg)),
                          target[0] * np.sin(np.radians(deg)) + target[1] * np.cos(np.radians(deg))]
    return [target.tolist(), rotate(90), rotate(-90)]


def _tuning(rng, n: int) -> dict[str, dict]:
    return {area: {"preferred": rng.uniform(0, 2 * np.pi, n), "baseline": rng.uniform(8, 20, n),
                   "gain": rng.uniform(0.05, 0.1, n), "curve": rng.normal(0, 15, n)} for area in ("M1", "PMd")}


def _rates(area: str, tuning: dict, t: np.ndarray, pos: np.ndarray, angle_deg: float, version: int) -> np.ndarray:
    """Firing rates (Hz), samples x units."""
    velocity = np.gradient(pos, 0.001, axis=0)
    if area == "M1":  # velocity 100 ms ahead
        velocity = np.vstack([velocity[100:], np.repeat(velocity[-1:], 100, axis=0)])
        drive = (velocity[:, :1] * np.cos(tuning["preferred"]) + velocity[:, 1:] * np.sin(tuning["preferred"]))
        rate = tuning["baseline"] + tuning["gain"] * drive
    else:  # target direction and curvature, preparatory through movement
        envelope = np.exp(-0.5 * ((t - 0.05) / 0.25) ** 2)[:, None]
        target = np.cos(np.radians(angle_deg) - tuning["preferred"]) * 10.0
        curved = tuning["curve"] * (version > 0)
        rate = tuning["baseline"] + envelope * (target + curved) + 0.02 * np.linalg.norm(velocity, axis=1)[:, None]
    return np.clip(rate, 0.5, 200.0)
