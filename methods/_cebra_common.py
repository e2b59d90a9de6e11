"""Shared machinery of the methods built on the pinned cebra package (NER and CEBRA): the data set, the
seeded ``time_delta`` loader that also carries the reference indices, the training loop and the embedding.

Imported only inside ``fit`` (importing cebra takes seconds), never at plug-in discovery. The hooks used
below cebra's public API are listed in ``CEBRA_HOOKS`` and checked by ``tests/test_cebra_methods.py``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ner_bench import NerBenchError
from ner_bench.threads import torch_threads
from ._nearest_label import NearestLabelIndex

try:
    import cebra
    import cebra.data
    import cebra.models
    import cebra.solver
except ImportError as error:  # pragma: no cover - depends on the environment
    raise NerBenchError("the cebra-based methods (ner, cebra, cebra-16) need the pinned cebra package: "
                        "pip install 'ner-bench[cebra]'") from error

log = logging.getLogger(__name__)

CEBRA_VERSION = "0.6.1"
#: attributes below cebra's public API that this module relies on (cebra is pinned to CEBRA_VERSION)
CEBRA_HOOKS = (
    "cebra.data.ContinuousDataLoader.distribution",  # the TimedeltaDistribution built in __post_init__
    "TimedeltaDistribution.generator / .prior.generator",  # torch.Generators, reseeded for determinism
    "cebra.data.Loader.get_indices / Dataset.load_batch",  # used to build each batch
    "cebra.data.Batch.index",  # spare slot: carries the reference indices to the solver
    "TimedeltaDistribution.index.search",  # the positive search, replaced by NearestLabelIndex on the CPU
)


def check_cebra_version() -> None:
    if cebra.__version__ != CEBRA_VERSION:
        raise NerBenchError(f"the cebra-based methods are written for cebra=={CEBRA_VERSION} (hooks below its "
                            f"public API), found cebra {cebra.__version__}: pip install 'cebra=={CEBRA_VERSION}'")


class _ReferenceIndexed:
    """Batches that also carry the reference indices in ``Batch.index`` (single-session training leaves
    that slot unused), so that a loss can look up the batch's labels."""

    def __iter__(self):
        for _ in range(len(self)):
            index = self.get_indices(num_samples=self.batch_size)
            batch = self.dataset.load_batch(index)
            batch.index = index.reference
            yield batch


class ReferenceIndexedLoader(_ReferenceIndexed, cebra.data.ContinuousDataLoader):
    """CEBRA's continuous loader (positives by ``time_delta`` on labels, or by ``time`` offset alone)."""


class ReferenceIndexedHybridLoader(_ReferenceIndexed, cebra.data.HybridDataLoader):
    """CEBRA's hybrid loader: each reference has a ``time_delta`` positive and a time-offset positive."""


#: how positives are drawn: cebra's ``conditional`` of the loader, and the hybrid's two at once
POSITIVES = ("time_delta", "time", "hybrid")


@dataclass(frozen=True)
class TrainingSetup:
    """What both methods train with: the encoder, the loader over the training bins, the optimizer."""

    model: torch.nn.Module
    loader: ReferenceIndexedLoader | ReferenceIndexedHybridLoader
    optimizer: torch.optim.Optimizer


def check_device(device: str) -> str:
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NerBenchError(f"argument --device: {device!r} was asked for but torch sees no CUDA device")
    if not (device == "cpu" or device.startswith("cuda")):
        raise NerBenchError(f"argument --device: expected 'cpu' or 'cuda[:N]', got {device!r}")
    return device


def make_setup(neural: np.ndarray, search_labels: np.ndarray, *, dim: int, hidden_units: int,
               model_architecture: str, iterations: int, batch_size: int, time_offset: int,
               learning_rate: float, seed: int, device: str, positives: str = "time_delta") -> TrainingSetup:
    """Encoder and seeded loader: references uniform over the training bins, positives by ``time_delta``
    (query = label of the reference + a random observed change over ``time_offset`` bins, positive = the
    bin whose ``search_labels`` are nearest to the query; on the CPU found on a k-d tree, see
    :mod:`._nearest_label`)."""
    check_cebra_version()
    device = check_device(device)
    torch.manual_seed(seed)  # the encoder's initial weights
    model = cebra.models.init(model_architecture, num_neurons=neural.shape[1], num_units=hidden_units,
                              num_output=dim).to(device)
    loader = make_loader(neural, search_labels, model, steps=iterations, batch_size=batch_size,
                         time_offset=time_offset, seed=seed, device=device, positives=positives)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    return TrainingSetup(model=model, loader=loader, optimizer=optimizer)


def make_loader(neural: np.ndarray, search_labels: np.ndarray, model: torch.nn.Module, *, steps: int,
                batch_size: int, time_offset: int, seed: int, device: str, positives: str = "time_delta"):
    """The seeded loader of ``steps`` batches over these bins, configured for ``model``; ``positives``:
    ``time_delta`` (searched on ``search_labels``), ``time`` (the bin ``time_offset`` later, labels unused;
    as in cebra, across a trial's end into the next training trial) or ``hybrid`` (one of each)."""
    if positives not in POSITIVES:
        raise NerBenchError(f"positives {positives!r}; expected one of {POSITIVES}")
    dataset = cebra.data.TensorDataset(np.ascontiguousarray(neural, dtype=np.float32),
                                       continuous=np.ascontiguousarray(search_labels, dtype=np.float32),
                                       device=device)
    dataset.configure_for(model)
    shared = dict(dataset=dataset, num_steps=steps, batch_size=batch_size, time_offset=time_offset)
    if positives == "hybrid":
        loader = ReferenceIndexedHybridLoader(**shared, conditional="time_delta", time_distribution="time")
    else:
        loader = ReferenceIndexedLoader(**shared, conditional=positives)
    seed_loader(loader, seed)
    if positives != "time" and device == "cpu":  # cebra's brute-force search is most of a CPU step
        searched = loader.behavior_distribution if positives == "hybrid" else loader.distribution
        searched.index = NearestLabelIndex(search_labels)
    return loader


def validation_batches(neural: np.ndarray, search_labels: np.ndarray, model: torch.nn.Module, *, count: int,
                       batch_size: int, time_offset: int, seed: int, device: str,
                       positives: str = "time_delta") -> list:
    """``count`` fixed batches of held-out training bins, drawn once like the training batches (their own
    generators, seeded apart, so that the training batches are the same with or without validation)."""
    return list(make_loader(neural, search_labels, model, steps=count, batch_size=batch_size,
                            time_offset=time_offset, seed=seed + VALIDATION_SEED_OFFSET, device=device,
                            positives=positives))


#: the validation batches' generators are seeded this far from the training ones
VALIDATION_SEED_OFFSET = 7919


class _Plateau(Exception):
    """Raised from cebra's save hook to end training once the validation loss stops improving."""


def train_until_plateau(solver: "cebra.solver.Solver", loader: ReferenceIndexedLoader, validate, *, every: int,
                        patience: int, min_improvement: float = 1e-3) -> dict:
    """Train as :func:`train` does, and every ``every`` steps evaluate ``validate()`` (the loss on held-out
    training bins, without gradients); stop once it has not fallen by ``min_improvement`` (relative) for
    ``patience`` evaluations, and keep the weights of the best evaluation."""
    best = {"loss": float("inf"), "step": 0, "state": None}
    stale = 0

    def check(step: int, solver) -> None:
        nonlocal stale
        if step == 0:
            return
        solver.model.eval()
        with torch.no_grad():
            loss = float(validate())
        solver.model.train()
        improved = best["state"] is None or loss < best["loss"] - min_improvement * abs(best["loss"])
        if improved:
            weights = {name: value.detach().clone() for name, value in solver.model.state_dict().items()}
            best.update(loss=loss, step=step + 1, state=weights)
            stale = 0
        else:
            stale += 1
            if stale >= patience:
                raise _Plateau

    started = time.perf_counter()
    try:
        solver.fit(loader, save_frequency=every, save_hook=check)
        stopped = False
    except _Plateau:
        stopped = True
    seconds = time.perf_counter() - started
    if best["state"] is not None:
        solver.model.load_state_dict(best["state"])
    history = solver.history
    return {"first_loss": float(history[0]) if history else float("nan"),
            "last_loss": float(np.mean(history[-50:])) if history else float("nan"),
            "steps_per_second": len(history) / seconds if seconds > 0 else float("nan"),
            "iterations_trained": len(history), "best_iteration": best["step"], "best_validation_loss": best["loss"],
            "stopped_on_plateau": stopped}


def seed_loader(loader, seed: int) -> None:
    """cebra 0.6.1 seeds its samplers from the OS (``Generator.seed()``): reseed them from ``seed``. The
    ``time_delta`` distribution draws from its own generator and its prior's; the time-contrastive one from
    its own (the hybrid's, which draws the references, is seeded like the continuous loader's prior)."""
    if isinstance(loader, cebra.data.HybridDataLoader):
        loader.behavior_distribution.generator.manual_seed(seed)
        loader.time_distribution.generator.manual_seed(seed + 1)
        return
    distribution = loader.distribution
    distribution.generator.manual_seed(seed)
    if hasattr(distribution, "prior"):
        distribution.prior.generator.manual_seed(seed + 1)


def train(solver: "cebra.solver.Solver", loader: ReferenceIndexedLoader,
          after_step: Callable[[int], None] | None = None) -> dict:
    """Run the solver over the loader; returns the first and last loss and the steps per second.
    ``after_step(n)`` is called once n steps are done, for every n (checkpoints)."""
    started = time.perf_counter()
    if after_step is None:
        solver.fit(loader)
    else:  # cebra calls the hook after step index i, i.e. once i + 1 steps are done
        solver.fit(loader, save_frequency=1, save_hook=lambda index, _solver: after_step(index + 1))
    seconds = time.perf_counter() - started
    history = solver.history
    summary = {"first_loss": float(history[0]) if history else float("nan"),
               "last_loss": float(np.mean(history[-50:])) if history else float("nan"),
               "steps_per_second": len(history) / seconds if seconds > 0 else float("nan")}
    log.info("trained %d steps: loss %.4f -> %.4f, %.1f it/s", len(history), summary["first_loss"],
             summary["last_loss"], summary["steps_per_second"])
    return summary


@torch.no_grad()
def embed(model: torch.nn.Module, neural: np.ndarray, device: str, threads: int = 0,
          chunk: int = 65536) -> np.ndarray:
    """The encoder's output for every bin (offset1 models see one bin at a time), as float32."""
    model.eval()
    inputs = torch.tensor(neural, dtype=torch.float32)  # a copy: recordings are handed out read-only
    with torch_threads(threads):
        parts = [model(inputs[start:start + chunk].to(device)).cpu() for start in range(0, len(inputs), chunk)]
    return torch.cat(parts).numpy().astype(np.float32)
