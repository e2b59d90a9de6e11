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

from typing import TYPE_CHECKING

import numpy as np

from ner_bench import NerBenchError
from ner_bench.builtins.methods._cebra_method import CebraEncoderMethod

if TYPE_CHECKING:
    import cebra.solver

    from ner_bench.builtins.methods._cebra_common import TrainingSetup


class CEBRA(CebraEncoderMethod):
    name = "cebra"
    description = ("CEBRA (cebra 0.6.1): offset1-model, InfoNCE with cosine similarity, time_delta positives "
                   "on [10*vx, 10*vy, theta]; 3-D (published baseline)")

    def make_solver(self, setup: TrainingSetup, labels: np.ndarray, device: str) -> cebra.solver.Solver:
        import cebra.models  # takes seconds: imported when fitting, never at plug-in discovery
        import cebra.solver

        criterion = cebra.models.FixedCosineInfoNCE(temperature=self.params["temperature"]).to(device)
        return cebra.solver.init("single-session", model=setup.model, criterion=criterion,
                                 optimizer=setup.optimizer, tqdm_on=False)


class CEBRA16(CEBRA):
    name = "cebra-16"
    description = "CEBRA as published, 16-D output (the paper's kNN comparison)"
    defaults = {**CEBRA.defaults, "dim": 16}


class CEBRATime(CEBRA):
    """Self-supervised CEBRA: the positive of a reference is the bin ``time_offset`` later; no behaviour is
    used (cebra's ``conditional='time'``), so it runs on recordings without behaviour too."""

    name = "cebra-time"
    description = ("CEBRA-time (self-supervised): the same encoder and InfoNCE, positives by time offset "
                   "alone, no behaviour; 3-D")
    supervised = False
    positives = "time"


class CEBRAHybrid(CEBRA):
    """CEBRA-hybrid as cebra's ``hybrid=True`` builds it: every reference gets a behaviour positive
    (``time_delta`` on ``[10*vx, 10*vy, theta]``) and a time-offset positive; the loss is the sum of the
    two InfoNCE terms, the behaviour term on the first ``behavior_dims`` output dimensions and the time
    term on all of them (cebra's ``overlapping`` mode; with the 3-D output, both on all three). The
    embedding is the encoder's whole output."""

    name = "cebra-hybrid"
    description = ("CEBRA-hybrid: behaviour (time_delta) and time-offset positives, summed InfoNCE losses "
                   "(cebra's hybrid=True); 3-D")
    positives = "hybrid"
    defaults = {**CEBRA.defaults, "behavior_dims": 3}
    minimums = {"behavior_dims": 1}

    def make_solver(self, setup: TrainingSetup, labels: np.ndarray, device: str) -> cebra.solver.Solver:
        import cebra.models
        import cebra.solver

        if self.params["behavior_dims"] > self.params["dim"]:
            raise NerBenchError(f"method {self.name!r}: behavior_dims={self.params['behavior_dims']} exceeds "
                                f"dim={self.params['dim']}")
        criterion = cebra.models.FixedCosineInfoNCE(temperature=self.params["temperature"]).to(device)
        return cebra.solver.init("single-session-hybrid", model=setup.model, criterion=criterion,
                                 optimizer=setup.optimizer, num_behavior_features=self.params["behavior_dims"],
                                 ignore_deprecation_warning=True, tqdm_on=False)

    def validation_loss(self, solver: cebra.solver.Solver, batch, labels: np.ndarray) -> float:
        behavior, time = solver._inference(batch)
        return float(sum(solver.criterion(p.reference, p.positive, p.negative)[0] for p in (behavior, time)))
