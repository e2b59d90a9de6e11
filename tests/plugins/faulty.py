"""Plug-ins that misbehave the ways a user's plug-in can, for the fault battery (tests/faults/).
Loaded with ``--plugin tests/plugins/faulty.py``."""

from __future__ import annotations

import ctypes
import os
import signal

import numpy as np

from ner_bench import Dataset, Method, Recording


class _Projection(Method):
    """A fixed random projection of the neural activity (deterministic for the seed)."""

    in_all = False
    defaults = {"dim": 2}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "_Projection":
        rng = np.random.default_rng(seed)
        self.mean_ = train.neural.mean(axis=0)
        self.weights_ = rng.normal(size=(train.n_neurons, self.params["dim"]))
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return (recording.neural - self.mean_) @ self.weights_


class Exiting(_Projection):
    """Ends its process while fitting: ``os._exit``, a segfault, or SIGKILL to itself (as the
    out-of-memory killer would)."""

    name, description = "exiting", "A method that ends its own process"
    defaults = {"dim": 2, "how": "exit"}

    def fit(self, train, *, seed, device="cpu"):
        how = self.params["how"]
        if how == "exit":
            os._exit(3)
        if how == "segfault":
            ctypes.string_at(0)
        if how == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        return super().fit(train, seed=seed, device=device)


class Mutating(_Projection):
    """Writes into the recording it is handed (it zeroes the neural activity)."""

    name, description = "mutating", "A method that writes into its input"

    def transform(self, recording):
        recording.neural[:] = 0.0
        return super().transform(recording)


class Output(_Projection):
    """Returns an embedding of the given ``kind``: int, complex, huge (1e300) or float (fine)."""

    name, description = "output", "A method whose output has a chosen type"
    defaults = {"dim": 2, "kind": "int"}

    def transform(self, recording):
        values = super().transform(recording)
        kind = self.params["kind"]
        if kind == "int":
            return np.round(values * 100).astype(np.int64)
        if kind == "complex":
            return values + 1j
        if kind == "huge":
            return values.astype(np.float64) * 1e300
        return values


MEMO: dict[str, np.ndarray] = {}


class Memoising(_Projection):
    """Cheats: remembers each recording's velocity by id while fitting, and returns it at transform."""

    name, description = "memoising", "A method that reads behaviour it memoised by recording id"

    def fit(self, train, *, seed, device="cpu"):
        MEMO[train.id] = train.velocity.mean(axis=0)
        return super().fit(train, seed=seed, device=device)

    def transform(self, recording):
        values = super().transform(recording)
        if recording.id in MEMO:  # the "blanked" copy of check-method keeps the id unless it is changed
            return values + MEMO[recording.id][None, : values.shape[1]]
        return values + recording.velocity[:, : values.shape[1]]


class Raising(Dataset):
    name, description = "raising", "A dataset whose load fails"

    def load(self):
        raise OSError("the data server is down")


class NotRecordings(Dataset):
    name, description = "not-recordings", "A dataset whose load returns the wrong things"

    def load(self):
        return [{"neural": [[1.0]]}]
