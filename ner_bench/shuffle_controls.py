"""Shuffle controls: a supervised method trained on training data whose labels carry no information.

A supervised method can give label-shaped, "consistent" embeddings from data that hold no behaviour at all
(CEBRA users reported it from shuffled neural data). So every supervised method takes a ``shuffled``
parameter, applied to its training trials before ``fit`` (never to what it transforms or is scored on):

- ``trials``: behaviour permuted across whole trials. Trial i's velocity, position, direction and angle
  are those of another trial, bin by bin, moved together (a derangement: no trial keeps its own), so each
  trial's labels stay a real movement and the label distribution is unchanged.
- ``time``: the neural rows of the training bins permuted in time, across trials, behaviour left in
  place: activity no longer matches movement, nor its own past.

The control is written ``ner[shuffled=trials]``; a fit without it has no ``shuffled`` parameter at all, so
that the embeddings and cache keys of the real methods are those they had before the control existed.
"""

from __future__ import annotations

import numpy as np

from .errors import NerBenchError
from .recording import Recording

#: the parameter every supervised method takes (no built-in method has one of that name)
PARAMETER = "shuffled"
MODES = ("none", "trials", "time")
#: the shuffle's generator is seeded this far from the fit's seed, apart from the method's own draws
SEED_OFFSET = 104729
BEHAVIOUR_FIELDS = ("velocity", "position", "direction", "angle")


def shuffle_parameter(name: str, supervised: bool, given: dict) -> tuple[dict, str]:
    """``given`` without ``shuffled``, and the mode asked for (``none`` when absent); checked."""
    rest = dict(given)
    mode = str(rest.pop(PARAMETER, "none")).strip().lower()
    if mode not in MODES:
        raise NerBenchError(f"method {name!r}: parameter {PARAMETER}={given[PARAMETER]!r}; expected one of "
                            f"{', '.join(MODES)}")
    if mode != "none" and not supervised:
        raise NerBenchError(f"method {name!r}: {PARAMETER}={mode} is a control for supervised methods, and "
                            f"{name!r} trains without behaviour (nothing to shuffle)")
    return rest, mode


def shuffled_training(train: Recording, mode: str, seed: int) -> Recording:
    """The training trials as the control ``mode`` sees them (``none``: unchanged)."""
    if mode == "none":
        return train
    rng = np.random.default_rng(seed + SEED_OFFSET)
    if mode == "time":
        return train.replace(neural=train.neural[rng.permutation(train.n_bins)])
    if mode == "trials":
        rows = _rows_of_other_trials(train, rng)
        return train.replace(**{name: getattr(train, name)[rows] for name in BEHAVIOUR_FIELDS})
    raise NerBenchError(f"{PARAMETER} mode {mode!r}; expected one of {', '.join(MODES)}")


def _rows_of_other_trials(train: Recording, rng: np.random.Generator) -> np.ndarray:
    """For every bin, the same bin of the trial whose behaviour it receives (a cyclic shift of a random
    order of the trials: every trial gets another's). Trials have one length, bins are trial-major."""
    if train.n_trials < 2:
        raise NerBenchError(f"recording {train.id!r}: {PARAMETER}=trials needs at least 2 training trials, got "
                            f"{train.n_trials}")
    order = rng.permutation(train.n_trials)
    donor = np.empty(train.n_trials, dtype=np.int64)
    donor[order] = np.roll(order, -1)
    _, first_row, trial_position = np.unique(train.trial, return_index=True, return_inverse=True)
    offset_in_trial = np.arange(train.n_bins) - first_row[trial_position]
    return first_row[donor[trial_position]] + offset_in_trial
