"""The NER solver: cebra's single-session solver whose step back-propagates the NER loss.

Registered in cebra's solver registry as ``"ner-bench-ner"`` when this module is first imported; cebra
raises if a name is registered twice, so a second registration attempt (a reloaded module) is skipped.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import torch

import cebra
import cebra.data
import cebra.solver
from ner_bench.ner_loss import LabelRanking, ner_loss_from_ranking, rank_labels

SOLVER_NAME = "ner-bench-ner"


class NerCriterion(torch.nn.Module):
    """The NER loss as a cebra criterion: ``criterion(reference, positive, ranking)``."""

    def __init__(self, temperature: float = 1.0, circular_columns: Sequence[int] = (2,),
                 period: float = 360.0) -> None:
        super().__init__()
        self.temperature = float(temperature)
        self.circular_columns = tuple(circular_columns)
        self.period = float(period)

    def rank(self, labels: np.ndarray) -> LabelRanking:
        return rank_labels(labels, self.circular_columns, self.period)

    def forward(self, reference: torch.Tensor, positive: torch.Tensor, ranking: LabelRanking) -> torch.Tensor:
        return ner_loss_from_ranking(reference, positive, ranking, temperature=self.temperature)


def _register_once(name: str):
    def decorate(cls):
        if name in cebra.solver.get_options():
            return cls
        return cebra.solver.register(name)(cls)
    return decorate


@_register_once(SOLVER_NAME)
@dataclasses.dataclass
class NerSolver(cebra.solver.SingleSessionSolver):
    """Single-session training with the NER loss (``criterion``: a :class:`NerCriterion`).

    ``labels`` holds the training labels of every bin (NumPy, CPU). Each batch carries its reference
    indices in ``Batch.index``; both the reference and the positive view get the reference's label.
    Negatives are not embedded: the loss contrasts every item with the whole batch.
    """

    labels: np.ndarray = None

    def step(self, batch: cebra.data.Batch) -> dict:
        if batch.index is None:
            raise ValueError("NerSolver needs batches that carry the reference indices in Batch.index "
                             "(see ner_bench.builtins.methods._cebra_common.ReferenceIndexedLoader)")
        ranking = self.criterion.rank(self.labels[np.asarray(batch.index.cpu())])  # labels only: no gradient
        self.optimizer.zero_grad()
        reference = self.model(batch.reference.to(self.device))
        positive = self.model(batch.positive.to(self.device))
        loss = self.criterion(reference, positive, ranking)
        loss.backward()
        self.optimizer.step()
        value = loss.item()
        self.history.append(value)
        self.log["total"].append(value)
        return {"total": value}
