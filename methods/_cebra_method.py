"""The part NER and CEBRA share: cebra's encoder, data loader and training loop, seeded alike, so that
their fits of equal iterations compare. Subclasses choose the label columns positives are searched on and
the solver. cebra is imported only when fitting, so that plug-in discovery stays fast."""

from __future__ import annotations

import numpy as np

from ner_bench import Method, Recording


class CebraEncoderMethod(Method):
    supervised = True
    uses_gpu = True
    version = "1"
    #: the published training (reference-protocol.md section 3)
    defaults = {"dim": 3, "iterations": 20000, "batch_size": 512, "learning_rate": 1e-4, "temperature": 1.0,
                "hidden_units": 32, "time_offset": 1, "model": "offset1-model", "threads": 1}
    budgets = {"quick": {"iterations": 100}, "paper": {"iterations": 20000}}

    def search_labels(self, labels: np.ndarray) -> np.ndarray:
        """The label columns the ``time_delta`` positive search uses."""
        return labels

    def make_solver(self, common, setup, labels: np.ndarray, device: str):
        raise NotImplementedError

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "CebraEncoderMethod":
        from ner_bench.builtins.methods import _cebra_common as common

        p = self.params
        labels = train.labels.astype(np.float32)  # [10*vx, 10*vy, theta]
        setup = common.make_setup(train.neural, self.search_labels(labels), dim=p["dim"],
                                  hidden_units=p["hidden_units"], model_architecture=p["model"],
                                  iterations=p["iterations"], batch_size=p["batch_size"],
                                  time_offset=p["time_offset"], learning_rate=p["learning_rate"], seed=seed,
                                  device=device)
        solver = self.make_solver(common, setup, labels, device)
        with common.torch_threads(p["threads"]):
            self.training_ = common.train(solver, setup.loader)
        self.model_, self.device_ = setup.model, device
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        from ner_bench.builtins.methods._cebra_common import embed

        return embed(self.model_, recording.neural, self.device_, threads=self.params["threads"])
