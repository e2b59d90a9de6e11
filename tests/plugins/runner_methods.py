"""Plug-ins for the runner's tests: methods that are slow, broken in every way a method can break, or
probe the environment a fit runs in, and a task that crashes the process scoring it. Loaded with ``--plugin tests/plugins/runner_methods.py``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ner_bench import Context, Embedding, Method, Recording, Task, Unit
from ner_bench.decoders import linear_velocity_rows


class _Projection(Method):
    """A fixed random projection of the neural activity (deterministic for the seed)."""

    in_all = False
    defaults = {"dim": 2}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "_Projection":
        rng = np.random.default_rng(seed)
        self.mean = train.neural.mean(axis=0)
        self.weights = rng.normal(size=(train.n_neurons, self.params["dim"]))
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        return (recording.neural - self.mean) @ self.weights


class Sleepy(_Projection):
    name = "sleepy"
    description = "A random projection that takes `sleep` seconds to fit"
    defaults = {"dim": 2, "sleep": 0.0}

    def fit(self, train, *, seed, device="cpu"):
        time.sleep(self.params["sleep"])
        return super().fit(train, seed=seed, device=device)


class Broken(_Projection):
    """Fails as ``mode`` says: raise, nan, shape, hang, exit (sys.exit), crash (the process dies).
    With ``flag`` set, it fails only while that file exists (to test --retry-failed)."""

    name = "broken"
    description = "A method that fails on purpose"
    defaults = {"dim": 2, "mode": "raise", "flag": ""}

    def _failing(self) -> bool:
        return not self.params["flag"] or Path(self.params["flag"]).exists()

    def fit(self, train, *, seed, device="cpu"):
        if self._failing():
            mode = self.params["mode"]
            if mode == "raise":
                raise RuntimeError("deliberately broken fit")
            if mode == "hang":
                time.sleep(3600)
            if mode == "exit":
                raise SystemExit(3)
            if mode == "crash":
                os._exit(7)
        return super().fit(train, seed=seed, device=device)

    def transform(self, recording):
        values = super().transform(recording)
        if self._failing() and self.params["mode"] == "nan":
            values[5, 0] = np.nan
        if self._failing() and self.params["mode"] == "shape":
            values = values[:-1]
        return values


class EnvProbe(_Projection):
    """Writes the device it was given and CUDA_VISIBLE_DEVICES into ``log_dir`` (one file per fit)."""

    name = "envprobe"
    description = "Records the environment each fit ran in"
    defaults = {"dim": 2, "log_dir": ""}

    def fit(self, train, *, seed, device="cpu"):
        record = {"device": device, "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                  "pid": os.getpid(), "recording": train.id, "seed": seed,
                  "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}
        Path(self.params["log_dir"], f"{train.id}-{seed}.json").write_text(json.dumps(record))
        return super().fit(train, seed=seed, device=device)


class CrashingTask(Task):
    """Scores like within-session's linear decoder, but ends its process on recordings named in
    ``crash_on`` (a crash in native code, as far as the runner can tell)."""

    name = "crashing"
    description = "Linear velocity decoding that crashes its process on chosen recordings"
    defaults = {"crash_on": ""}

    def units(self, recordings: list[Recording]) -> list[Unit]:
        return [Unit(r, r) for r in recordings]

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        if unit.train.id in self.options["crash_on"].split("+"):
            os._exit(9)
        return linear_velocity_rows(train.part("train"), {"test": train.part("test")}, context.protocol)
