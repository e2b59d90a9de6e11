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
