"""Small synthetic recordings for the tests."""

from __future__ import annotations

import numpy as np

from ner_bench import Recording


def make_recording(n_trials: int = 16, trial_length: int = 10, n_neurons: int = 6, seed: int = 0,
                   id: str = "toy", directions=None, **meta) -> Recording:
    """A tiny recording whose neurons encode velocity linearly (plus noise); ``directions``: each trial's
    class (default: 0..7 in turn)."""
    rng = np.random.default_rng(seed)
    directions = np.arange(n_trials) % 8 if directions is None else np.asarray(directions)
    direction = np.repeat(directions, trial_length)
    angle = np.deg2rad(direction * 45.0)
    speed = np.tile(np.sin(np.linspace(0, np.pi, trial_length)), n_trials)
    velocity = np.column_stack([speed * np.cos(angle), speed * np.sin(angle)])
    neural = velocity @ rng.normal(size=(2, n_neurons)) + 0.1 * rng.normal(size=(len(speed), n_neurons))
    return Recording.from_trials(id=id, neural=neural, velocity=velocity, direction=direction,
                                 trial_length=trial_length, **meta)
