"""CEBRA (Schneider et al., Nature 2023) as the NER paper's baseline: the same encoder, loader and training
length as NER, with cebra's InfoNCE (cosine similarity, temperature 1) and positives searched by
``time_delta`` on all three label columns ``[10*vx, 10*vy, theta]``. ``cebra-16`` is the 16-D variant the
paper used for its kNN comparison.

The configuration is the one ``cebra.CEBRA(model_architecture="offset1-model", criterion="infonce",
distance="cosine", temperature=1, conditional="time_delta", time_offsets=1, batch_size=512,
learning_rate=1e-4)`` builds (checked by a test); it is assembled from the same lower-level parts as NER so
that both are seeded alike and their per-step costs compare.
"""

from __future__ import annotations

import numpy as np

from ner_bench import Method, Recording


class CEBRA(Method):
    name = "cebra"
    description = ("CEBRA (cebra 0.6.1): offset1-model, InfoNCE with cosine similarity, time_delta positives "
                   "on [10*vx, 10*vy, theta]; 3-D (published baseline)")
    supervised = True
    uses_gpu = True
    version = "1"
    defaults = {"dim": 3, "iterations": 20000, "batch_size": 512, "learning_rate": 1e-4, "temperature": 1.0,
                "hidden_units": 32, "time_offset": 1, "model": "offset1-model", "threads": 1}
    budgets = {"quick": {"iterations": 100}, "paper": {"iterations": 20000}}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "CEBRA":
        from ner_bench.builtins.methods import _cebra_common as common

        p = self.params
        setup = common.make_setup(train.neural, train.labels, dim=p["dim"], hidden_units=p["hidden_units"],
                                  model_architecture=p["model"], iterations=p["iterations"],
                                  batch_size=p["batch_size"], time_offset=p["time_offset"],
                                  learning_rate=p["learning_rate"], seed=seed, device=device)
        criterion = common.cebra.models.FixedCosineInfoNCE(temperature=p["temperature"]).to(device)
        solver = common.cebra.solver.init("single-session", model=setup.model, criterion=criterion,
                                          optimizer=setup.optimizer, tqdm_on=False)
        with common.torch_threads(p["threads"]):
            self.training_ = common.train(solver, setup.loader)
        self.model_, self.device_ = setup.model, device
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        from ner_bench.builtins.methods._cebra_common import embed

        return embed(self.model_, recording.neural, self.device_, threads=self.params["threads"])


class CEBRA16(CEBRA):
    name = "cebra-16"
    description = "CEBRA as published, 16-D output (the paper's kNN comparison)"
    defaults = {**CEBRA.defaults, "dim": 16}
