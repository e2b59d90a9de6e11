"""dPCA (dPCA 1.0.5) as published: stimulus (direction) x time, fitted on the balanced tensor of training
trials; every bin is embedded with the stimulus marginalisation's decoder and the training mean.

``dPCA.transform`` is not used: it centres its input by that input's own mean (and overwrites
``explained_variance_ratio_``), which would make held-out embeddings depend on the held-out data. Instead
``(x - training mean) @ D['s']``.
"""

from __future__ import annotations

import contextlib
import io
import logging

import numpy as np

from ner_bench import Method, NerBenchError, Recording

log = logging.getLogger(__name__)


class DPCA(Method):
    """``regularizer='auto'`` picks the ridge penalty by dPCA's own cross-validation over its 45-value
    grid, repeated ``cv_repeats`` times (the library's ``n_trials``, 3 by default, as published); the
    ``quick`` budget repeats it once. ``protect=['t']`` keeps time bins of a trial together when the
    cross-validation splits trials."""

    name = "dpca"
    dependencies = ("dPCA",)
    description = "dPCA (dPCA 1.0.5): stimulus decoder D['s'] of the balanced training-trial tensor"
    supervised = True  # marginalises by direction
    needs_trials = True
    version = "1"
    defaults = {"dim": 3, "regularizer": "auto", "cv_repeats": 3}
    minimums = {"cv_repeats": 1}
    budgets = {"quick": {"cv_repeats": 1}, "paper": {"cv_repeats": 3}}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "DPCA":
        from dPCA.dPCA import dPCA  # deferred: the package imports numba/numexpr

        trials = balanced_tensor(train)  # (trials, neurons, directions, time)
        self.mean_ = trials.mean(axis=(0, 2, 3))
        trials = trials - self.mean_[None, :, None, None]  # centred per neuron, as published
        regularizer = self._regularizer()
        # dPCA prints its progress (from the constructor on): keep it for the debug log
        with _seeded_global_numpy(seed), contextlib.redirect_stdout(io.StringIO()) as chatter:
            model = dPCA(labels="st", regularizer=regularizer, n_components=self.params["dim"])
            model.protect = ["t"]
            model.n_trials = self.params["cv_repeats"]
            model.fit(trials.mean(axis=0), trials)
        log.debug("dPCA output: %s", chatter.getvalue())
        self.decoder_ = model.D["s"]  # (neurons, dim)
        self.regularizer_ = float(model.regularizer)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        if recording.n_neurons != len(self.mean_):
            raise NerBenchError(f"method 'dpca': recording {recording.id!r} has {recording.n_neurons} neurons, "
                                f"the method was fitted on {len(self.mean_)}")
        return (recording.neural - self.mean_) @ self.decoder_

    def _regularizer(self):
        value = self.params["regularizer"]
        if value == "auto":
            return "auto"
        try:
            return float(value)
        except (TypeError, ValueError):
            raise NerBenchError(f"method 'dpca' parameter 'regularizer': expected 'auto' or a number, "
                                f"got {value!r}") from None


def balanced_tensor(train: Recording) -> np.ndarray:
    """Training trials as (trials, neurons, directions, time), each direction truncated to the smallest
    per-direction count (its first trials, chronologically), as the published code does."""
    per_trial = train.neural.astype(np.float64).reshape(train.n_trials, train.trial_length, train.n_neurons)
    directions = train.trial_direction
    classes, counts = np.unique(directions, return_counts=True)
    keep = int(counts.min())
    if keep < 2:
        raise NerBenchError(f"method 'dpca': recording {train.id!r} has {keep} training trial(s) of direction "
                            f"{classes[counts.argmin()]}; dPCA's cross-validation needs at least 2 per direction")
    stacked = [per_trial[directions == d][:keep] for d in classes]  # each (keep, time, neurons)
    return np.stack(stacked, axis=2).transpose(0, 3, 2, 1)


@contextlib.contextmanager
def _seeded_global_numpy(seed: int):
    """dPCA draws from numpy's global generator: seed it for the fit, then restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)
