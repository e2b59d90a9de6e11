"""The NER solver: cebra's single-session solver whose step back-propagates the NER loss.

Registered in cebra's solver registry as ``"ner-bench-ner"`` when this module is first imported; cebra
raises if a name is registered twice, so a second registration attempt (a reloaded module) is skipped.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterator, Sequence

import numpy as np
import torch

import cebra
import cebra.data
import cebra.solver
from ner_bench import label_ranking
from ner_bench.label_ranking import LabelRanking, LabelRankTable, rank_labels
from .loss import stacked_ner_loss

SOLVER_NAME = "ner-bench-ner"


class NerCriterion(torch.nn.Module):
    """The NER loss as a cebra criterion: ``criterion(items, ranking)`` with items ``[reference; positive]``."""

    def __init__(self, temperature: float = 1.0, circular_columns: Sequence[int] = (2,),
                 period: float = 360.0) -> None:
        super().__init__()
        self.temperature = float(temperature)
        self.circular_columns = tuple(circular_columns)
        self.period = float(period)

    def rank(self, labels: np.ndarray) -> LabelRanking:
        return rank_labels(labels, self.circular_columns, self.period)

    def rank_table(self, labels: np.ndarray) -> LabelRankTable | None:
        """A table of the training labels' distance ranks, when worth it: small enough, and the batch
        ranking not compiled (the compiled one needs no table, and no second of building it)."""
        if len(labels) > LabelRankTable.MAX_LABELS or label_ranking.compiled():
            return None
        return LabelRankTable(labels, self.circular_columns, self.period)

    def forward(self, items: torch.Tensor, ranking: LabelRanking) -> torch.Tensor:
        return stacked_ner_loss(items, ranking, temperature=self.temperature)


def _register_once(name: str):
    def decorate(cls):
        if name in cebra.solver.get_options():
            return cls
        return cebra.solver.register(name)(cls)
    return decorate


@dataclasses.dataclass(frozen=True)
class RankedReferences:
    """What a batch's ``index`` slot carries for the NER solver: the reference indices and the ranking of
    their labels, being computed in a worker thread."""

    indices: torch.Tensor
    ranking: Future


class RankingPrefetcher:
    """Iterates a loader one batch ahead and ranks the next batch's labels in a worker thread while the
    current batch trains (the ranking needs the labels alone). The batches and their order are those of
    the loader itself: its samplers have their own generators, untouched by training."""

    def __init__(self, loader: cebra.data.Loader, rank) -> None:
        self.loader, self.rank = loader, rank

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str):  # device, dataset, batch_size, ...: the loader's
        return getattr(self.loader, name)

    def __iter__(self) -> Iterator[cebra.data.Batch]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ner-ranking") as pool:
            def submit(batch):
                if batch is not None:
                    batch.index = RankedReferences(batch.index, pool.submit(self.rank, batch.index))
                return batch

            batches = iter(self.loader)
            upcoming = submit(next(batches, None))
            while upcoming is not None:
                current, upcoming = upcoming, submit(next(batches, None))
                yield current


@_register_once(SOLVER_NAME)
@dataclasses.dataclass
class NerSolver(cebra.solver.SingleSessionSolver):
    """Single-session training with the NER loss (``criterion``: a :class:`NerCriterion`).

    ``labels`` holds the training labels of every bin (NumPy, CPU). Each batch carries its reference
    indices in ``Batch.index``; both the reference and the positive view get the reference's label.
    Negatives are not embedded: the loss contrasts every item with the whole batch. A batch's ranking is
    computed from its labels by the compiled kernels, or, where those are not built, looked up in a table
    of the training labels' distance ranks (built once) and sorted.
    """

    labels: np.ndarray = None
    #: rank the next batch's labels in a worker thread while the current batch trains (worth it when the
    #: encoder runs on a GPU; on a 2-core CPU the thread only competes with torch, so NER uses it off CPU)
    prefetch: bool = True

    def __post_init__(self):
        super().__post_init__()
        self.rank_table = self.criterion.rank_table(self.labels) if self.labels is not None else None

    def fit(self, loader: cebra.data.Loader, *args, **kwargs):
        if self.prefetch:
            loader = RankingPrefetcher(loader, self.rank_references)
        return super().fit(loader, *args, **kwargs)

    def rank_references(self, indices: torch.Tensor) -> LabelRanking:
        """The ranking of the labels of the batch's references (labels alone: no gradient)."""
        indices = np.asarray(indices.cpu())
        if self.rank_table is not None:
            return self.rank_table.rank(indices)
        return self.criterion.rank(self.labels[indices])

    def step(self, batch: cebra.data.Batch) -> dict:
        if isinstance(batch.index, RankedReferences):
            ranking = batch.index.ranking.result()
        elif batch.index is not None:
            ranking = self.rank_references(batch.index)
        else:
            raise ValueError("NerSolver needs batches that carry the reference indices in Batch.index "
                             "(see ner_bench.builtins.methods._cebra_common.ReferenceIndexedLoader)")
        self.optimizer.zero_grad()
        items = self.model(torch.cat([batch.reference, batch.positive]).to(self.device))  # one forward pass
        loss = self.criterion(items, ranking)
        loss.backward()
        self.optimizer.step()
        value = loss.item()
        self.history.append(value)
        self.log["total"].append(value)
        return {"total": value}
