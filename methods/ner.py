"""NER (Neural Embeddings Rank, NeurIPS 2024): cebra's offset1-model encoder trained with the
rank-contrastive NER loss (``ner_bench.ner_loss``) on the labels ``[10*vx, 10*vy, theta]``."""

from __future__ import annotations

import numpy as np

from ner_bench import Method, Recording


class NER(Method):
    name = "ner"
    description = ("Neural Embeddings Rank: cebra offset1-model trained with the rank-contrastive NER loss on "
                   "[10*vx, 10*vy, theta] (published configuration)")
    supervised = True
    uses_gpu = True
    version = "1"
    #: the published training (reference-protocol.md section 3)
    defaults = {"dim": 3, "iterations": 20000, "batch_size": 512, "learning_rate": 1e-4, "temperature": 1.0,
                "hidden_units": 32, "time_offset": 1, "model": "offset1-model", "threads": 1}
    budgets = {"quick": {"iterations": 100}, "paper": {"iterations": 20000}}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "NER":
        from ner_bench.builtins.methods import _cebra_common as common
        from ner_bench.builtins.methods._ner_solver import SOLVER_NAME, NerCriterion

        p = self.params
        labels = train.labels.astype(np.float32)  # [10*vx, 10*vy, theta]
        setup = common.make_setup(train.neural, labels[:, :2], dim=p["dim"], hidden_units=p["hidden_units"],
                                  model_architecture=p["model"], iterations=p["iterations"],
                                  batch_size=p["batch_size"], time_offset=p["time_offset"],
                                  learning_rate=p["learning_rate"], seed=seed, device=device)
        solver = common.cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer,
                                          criterion=NerCriterion(p["temperature"], circular_columns=(2,),
                                                                 period=360.0),
                                          labels=labels, prefetch=not device.startswith("cpu"),
                                          tqdm_on=False)
        with common.torch_threads(p["threads"]):
            self.training_ = common.train(solver, setup.loader)
        self.model_, self.device_ = setup.model, device
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        from ner_bench.builtins.methods._cebra_common import embed

        return embed(self.model_, recording.neural, self.device_, threads=self.params["threads"])
