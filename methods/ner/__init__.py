"""NER (Neural Embeddings Rank, NeurIPS 2024): cebra's offset1-model encoder trained with the
rank-contrastive NER loss on the labels ``[10*vx, 10*vy, theta]``.

The method in one package:

- this module: the :class:`NER` method (found by plug-in discovery; it imports neither torch nor cebra);
- :mod:`.solver`: the cebra solver whose step back-propagates the loss (imports cebra: only when fitting);
- :mod:`.loss`: the NER loss itself, exact and fast (public as ``ner_bench.ner_loss``).

The encoder, loader and training loop are shared with CEBRA (``methods/_cebra_method.py`` and
``methods/_cebra_common.py``), so that both are seeded alike and their fits compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ner_bench.builtins.methods._cebra_method import CebraEncoderMethod

if TYPE_CHECKING:
    import cebra.solver

    from ner_bench.builtins.methods._cebra_common import TrainingSetup


class NER(CebraEncoderMethod):
    name = "ner"
    description = ("Neural Embeddings Rank: cebra offset1-model trained with the rank-contrastive NER loss on "
                   "[10*vx, 10*vy, theta] (published configuration)")

    def search_labels(self, labels: np.ndarray) -> np.ndarray:
        return labels[:, :2]  # NER searches positives on the two velocity columns only

    def validation_loss(self, solver: cebra.solver.Solver, batch, labels: np.ndarray) -> float:
        import torch

        ranking = solver.criterion.rank(labels[np.asarray(batch.index.cpu())])
        items = solver.model(torch.cat([batch.reference, batch.positive]))
        return float(solver.criterion(items, ranking))

    def make_solver(self, setup: TrainingSetup, labels: np.ndarray, device: str) -> cebra.solver.Solver:
        import cebra.solver  # takes seconds: imported when fitting, never at plug-in discovery

        from .solver import SOLVER_NAME, NerCriterion

        criterion = NerCriterion(self.params["temperature"], circular_columns=(2,), period=360.0)
        return cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer, criterion=criterion,
                                 labels=labels, prefetch=not device.startswith("cpu"), tqdm_on=False)
