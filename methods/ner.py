"""NER (Neural Embeddings Rank, NeurIPS 2024): cebra's offset1-model encoder trained with the
rank-contrastive NER loss (``ner_bench.ner_loss``) on the labels ``[10*vx, 10*vy, theta]``."""

from __future__ import annotations

import numpy as np

from ner_bench.builtins.methods._cebra_method import CebraEncoderMethod


class NER(CebraEncoderMethod):
    name = "ner"
    description = ("Neural Embeddings Rank: cebra offset1-model trained with the rank-contrastive NER loss on "
                   "[10*vx, 10*vy, theta] (published configuration)")

    def search_labels(self, labels: np.ndarray) -> np.ndarray:
        return labels[:, :2]  # NER searches positives on the two velocity columns only

    def make_solver(self, common, setup, labels, device):
        from ner_bench.builtins.methods._ner_solver import SOLVER_NAME, NerCriterion

        criterion = NerCriterion(self.params["temperature"], circular_columns=(2,), period=360.0)
        return common.cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer,
                                        criterion=criterion, labels=labels,
                                        prefetch=not device.startswith("cpu"), tqdm_on=False)
