"""The embedded default: synthetic center-out reaching, shaped like the NER release.

Two subjects. ``Synthie`` (M1 and PMd) has ``n_sessions`` days: the first half in the right hemisphere
(M1 only, like Chewie 2015), the rest in the left (M1 and PMd, like Chewie 2016). ``Synthan`` has
``n_s1_sessions`` days of S1. Every trial is cut at the go cue: 40 bins of 30 ms, 8 targets, a
bell-shaped hand speed peaking ~500 ms after the cue. Spikes are Poisson counts from a low-dimensional
latent model, smoothed with a Gaussian of sd 1.5 bins over the padded trial before cutting:

- M1 neurons are tuned to velocity 90 ms ahead (they lead movement) and to speed;
- PMd neurons are tuned to the target direction with an early, preparatory time course, weakly to velocity;
- S1 neurons are tuned to velocity 90 ms behind (they lag movement);
- every neuron also carries a condition-independent component, a baseline and a gain;
- and task-unrelated activity (``nuisance``: four smooth latent processes that vary from trial to trial,
  plus a per-trial excitability), so that, as in real cortex, the largest variance is not all movement.

Across days a hemisphere-area keeps a pool of neurons from which each session records a drifting subset
(neurons lost and gained), and preferred directions and gains change slowly. The two hemispheres draw
different neurons. Deterministic for ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ner_bench import Dataset, Recording

TRIAL_BINS = 40
BIN_SIZE = 0.03
PAD = 8  # bins simulated before and after a trial so that smoothing sees the whole trial
N_DIRECTIONS = 8
N_NUISANCE = 4  # task-unrelated latent processes
LEAD_BINS = {"M1": 3, "PMd": 3, "S1": -3}  # neural bin t reflects velocity at t + lead


@dataclass(frozen=True)
class _Population:
    """Tuning of a pool of neurons in one hemisphere-area."""

    baseline: np.ndarray  # log rate (Hz)
    gain: np.ndarray
    preferred: np.ndarray  # preferred direction, radians
    speed_weight: np.ndarray
    ci_weight: np.ndarray
    direction_weight: np.ndarray  # PMd-like preparatory tuning
    nuisance_weight: np.ndarray  # (size, k) loadings on task-unrelated latent processes


class SyntheticReaching(Dataset):
    name = "synthetic"
    description = "Embedded synthetic center-out reaching (M1, PMd, S1; drift across days, two hemispheres)"
    defaults = {"seed": 0, "n_sessions": 4, "n_s1_sessions": 2, "n_trials": 96, "n_neurons": 40,
                "pool_size": 56, "max_rate_hz": 100.0, "nuisance": 0.25}
    minimums = {"seed": 0, "n_sessions": 1, "n_s1_sessions": 0, "n_trials": 8, "n_neurons": 1, "pool_size": 1,
                "max_rate_hz": 1e-6, "nuisance": 0.0}

    def load(self) -> list[Recording]:
        o = self.options
        rng = np.random.default_rng(o["seed"])
        pools = {key: _make_pool(rng, o["pool_size"], area=key[1], nuisance=o["nuisance"]) for key in
                 [("right", "M1"), ("left", "M1"), ("left", "PMd"), ("left", "S1")]}
        recordings = []
        half = max(1, o["n_sessions"] // 2)
        for day in range(o["n_sessions"]):
            hemisphere = "right" if day < half else "left"
            areas = ("M1",) if hemisphere == "right" else ("M1", "PMd")
            recordings += self._session(rng, pools, "Synthie", day, hemisphere, areas)
        for day in range(o["n_s1_sessions"]):
            recordings += self._session(rng, pools, "Synthan", day, "left", ("S1",))
        return recordings

    def _session(self, rng, pools, subject, day, hemisphere, areas) -> list[Recording]:
        behaviour = _simulate_behaviour(rng, self.options["n_trials"])
        date = f"2026-01-{day + 1:02d}" if subject == "Synthie" else f"2026-03-{day + 1:02d}"
        out = []
        for area in areas:
            pool = _drift(pools[(hemisphere, area)], self.options["seed"], (hemisphere, area), day)
            neurons = _recorded_subset(self.options, hemisphere, area, day)
            counts = _spikes(rng, pool, neurons, behaviour, area, self.options["max_rate_hz"])
            out.append(Recording.from_trials(
                id=f"{subject}_{date.replace('-', '')}_{area}", neural=counts, velocity=behaviour.velocity,
                direction=behaviour.direction, trial_length=TRIAL_BINS, dataset=self.name, subject=subject,
                date=date, area=area, hemisphere=hemisphere, bin_size=BIN_SIZE, source="synthetic",
                meta={"neuron_ids": [f"{hemisphere}-{area}-{i}" for i in neurons]}))
        return out


@dataclass(frozen=True)
class _Behaviour:
    velocity: np.ndarray  # (trials*40, 2), cut at the go cue
    padded_velocity: np.ndarray  # (trials, 40 + 2*PAD, 2)
    direction: np.ndarray  # (trials*40,)
    padded_direction: np.ndarray  # (trials,)
    prep: np.ndarray  # (40 + 2*PAD,) preparatory time course
    ci: np.ndarray  # (trials, 40 + 2*PAD) condition-independent time course


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A generator that depends only on the seed and the keys (stable whatever else is simulated)."""
    return np.random.default_rng([seed, *[sum(map(ord, str(k))) for k in keys]])


def _simulate_behaviour(rng: np.random.Generator, n_trials: int) -> _Behaviour:
    direction = np.tile(np.arange(N_DIRECTIONS), -(-n_trials // N_DIRECTIONS))[:n_trials]
    rng.shuffle(direction)
    t = (np.arange(TRIAL_BINS + 2 * PAD) - PAD) * BIN_SIZE  # seconds from the go cue
    peak = 0.5 + rng.normal(0, 0.04, n_trials)  # speed peaks ~500 ms after the cue
    width = 0.13 * rng.uniform(0.85, 1.15, n_trials)
    amplitude = 25.0 * rng.uniform(0.8, 1.2, n_trials)  # cm/s
    speed = amplitude[:, None] * np.exp(-0.5 * ((t[None] - peak[:, None]) / width[:, None]) ** 2)
    # heading: the target angle, a per-trial error, and a slight curvature through the reach
    heading = (np.deg2rad(direction * 45.0)[:, None] + rng.normal(0, 0.08, n_trials)[:, None]
               + rng.normal(0, 0.15, n_trials)[:, None] * (t[None] - peak[:, None]))
    padded = np.stack([speed * np.cos(heading), speed * np.sin(heading)], axis=-1)
    padded += rng.normal(0, 0.4, padded.shape)  # hand jitter
    prep = np.exp(-0.5 * ((t - 0.2) / 0.15) ** 2)  # preparatory activity, before the speed peak
    ci = np.exp(-0.5 * ((t[None] - (peak[:, None] - 0.1)) / 0.2) ** 2)
    cut = slice(PAD, PAD + TRIAL_BINS)
    return _Behaviour(velocity=padded[:, cut].reshape(-1, 2), padded_velocity=padded,
                      direction=np.repeat(direction, TRIAL_BINS), padded_direction=direction,
                      prep=prep, ci=ci)


def _make_pool(rng: np.random.Generator, size: int, area: str, nuisance: float) -> _Population:
    direction_weight = rng.uniform(0.8, 1.4, size) if area == "PMd" else np.zeros(size)
    gain = rng.uniform(0.03, 0.06, size) * (0.4 if area == "PMd" else 1.0)  # per cm/s of velocity
    return _Population(baseline=np.log(rng.uniform(3.0, 20.0, size)), gain=gain,
                       preferred=rng.uniform(0, 2 * np.pi, size), speed_weight=rng.normal(0.01, 0.01, size),
                       ci_weight=rng.normal(0.3, 0.3, size), direction_weight=direction_weight,
                       nuisance_weight=rng.normal(0, nuisance, (size, N_NUISANCE)))


def _drift(pool: _Population, seed: int, key: tuple, day: int) -> _Population:
    """Slow tuning change: a random walk of preferred directions (~6 deg/day) and gains (~5 %/day).
    Day d's walk is the first d steps of one fixed sequence per pool, so days drift consistently."""
    n = len(pool.preferred)
    walk = rng_for(seed, "pd-walk", *key).normal(0, np.deg2rad(6), (day + 1, n))[:day].sum(axis=0)
    gain_walk = np.exp(rng_for(seed, "gain-walk", *key).normal(0, 0.05, (day + 1, n))[:day].sum(axis=0))
    return _Population(baseline=pool.baseline, gain=pool.gain * gain_walk, preferred=pool.preferred + walk,
                       speed_weight=pool.speed_weight, ci_weight=pool.ci_weight,
                       direction_weight=pool.direction_weight, nuisance_weight=pool.nuisance_weight)


def _recorded_subset(options: dict, hemisphere: str, area: str, day: int) -> np.ndarray:
    """Which neurons of the pool a session records: a window that slides by ~2 neurons a day, so that
    consecutive days share most neurons and distant days fewer (neurons lost and gained)."""
    size, n = options["pool_size"], min(options["n_neurons"], options["pool_size"])
    order = rng_for(options["seed"], "order", hemisphere, area).permutation(size)
    start = (2 * day) % size
    return np.sort(order[(start + np.arange(n)) % size])


def _nuisance(rng, pool: _Population, neurons: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """Activity unrelated to the task, as real cortex has plenty of: a few smooth latent processes that
    vary from trial to trial, and a per-trial excitability shared by all neurons. It carries much of the
    variance, so the top principal components are not simply velocity."""
    n_trials, n_bins = velocity.shape[:2]
    k = pool.nuisance_weight.shape[1]
    latents = gaussian_filter1d(rng.normal(size=(n_trials, n_bins, k)), sigma=4.0, axis=1)
    latents /= latents.std(axis=(0, 1), keepdims=True)
    excitability = rng.normal(0, 0.15, (n_trials, 1, 1))
    return latents @ pool.nuisance_weight[neurons].T + excitability


def _spikes(rng, pool: _Population, neurons: np.ndarray, behaviour: _Behaviour, area: str,
            max_rate_hz: float) -> np.ndarray:
    velocity = np.roll(behaviour.padded_velocity, -LEAD_BINS[area], axis=1)  # neural bin t ~ velocity t+lead
    pd = pool.preferred[neurons]
    tuning = (velocity[..., 0:1] * np.cos(pd) + velocity[..., 1:2] * np.sin(pd)) * pool.gain[neurons]
    speed = np.linalg.norm(velocity, axis=-1, keepdims=True) * pool.speed_weight[neurons]
    target = np.deg2rad(behaviour.padded_direction * 45.0)[:, None, None]
    preparatory = (pool.direction_weight[neurons] * np.cos(target - pd) * behaviour.prep[None, :, None])
    ci = behaviour.ci[..., None] * pool.ci_weight[neurons]
    log_rate = pool.baseline[neurons] + tuning + speed + preparatory + ci + _nuisance(rng, pool, neurons, velocity)
    rate_hz = np.minimum(np.exp(log_rate), max_rate_hz)
    counts = rng.poisson(rate_hz * BIN_SIZE).astype(float)
    smoothed = gaussian_filter1d(counts, sigma=1.5, axis=1, mode="nearest")
    return smoothed[:, PAD:PAD + TRIAL_BINS].reshape(-1, len(neurons)).astype(np.float32)
