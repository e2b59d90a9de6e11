"""The part NER and CEBRA share: cebra's encoder, data loader and training loop, seeded alike, so that
their fits of equal iterations compare. Subclasses choose the label columns positives are searched on and
the solver. cebra is imported only when fitting, so that plug-in discovery stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ner_bench import Method, Recording

if TYPE_CHECKING:
    import cebra.solver

    from ner_bench.builtins.methods._cebra_common import TrainingSetup


class CebraEncoderMethod(Method):
    supervised = True
    dependencies = ("torch", "cebra")
    uses_gpu = True
    version = "2"  # 2: exact k-d tree positive search on the CPU, compiled NER loss (README, speed)
    #: the published training (reference-protocol.md section 3)
    defaults = {"dim": 3, "iterations": 20000, "batch_size": 512, "learning_rate": 1e-4, "temperature": 1.0,
                "hidden_units": 32, "time_offset": 1, "model": "offset1-model", "threads": 1}
    minimums = {"iterations": 1, "batch_size": 2, "learning_rate": 1e-12, "temperature": 1e-12, "hidden_units": 1,
                "time_offset": 1, "threads": 0}
    budgets = {"quick": {"iterations": 100}, "paper": {"iterations": 20000}}

    def search_labels(self, labels: np.ndarray) -> np.ndarray:
        """The label columns the ``time_delta`` positive search uses."""
        return labels

    def make_solver(self, setup: TrainingSetup, labels: np.ndarray, device: str) -> cebra.solver.Solver:
        """The cebra solver that trains ``setup.model`` on ``labels`` (the training bins' full labels).
        Import cebra inside: it takes seconds, and this module is imported at plug-in discovery."""
        raise NotImplementedError

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "CebraEncoderMethod":
        from ner_bench.builtins.methods._cebra_common import make_setup, torch_threads, train as run_solver

        p = self.params
        labels = train.labels.astype(np.float32)  # [10*vx, 10*vy, theta]
        setup = make_setup(train.neural, self.search_labels(labels), dim=p["dim"],
                           hidden_units=p["hidden_units"], model_architecture=p["model"],
                           iterations=p["iterations"], batch_size=p["batch_size"], time_offset=p["time_offset"],
                           learning_rate=p["learning_rate"], seed=seed, device=device)
        solver = self.make_solver(setup, labels, device)
        with torch_threads(p["threads"]):
            self.training_ = run_solver(solver, setup.loader)
        self.model_, self.device_ = setup.model, device
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        from ner_bench.builtins.methods._cebra_common import embed

        return embed(self.model_, recording.neural, self.device_, threads=self.params["threads"])
