"""The part NER and CEBRA share: cebra's encoder, data loader and training loop, seeded alike, so that
their fits of equal iterations compare. Subclasses choose the label columns positives are searched on and
the solver. cebra is imported only when fitting, so that plug-in discovery stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ner_bench import Method, Recording

if TYPE_CHECKING:
    import cebra.solver

    from ner_bench.builtins.methods._cebra_common import TrainingSetup


class CebraEncoderMethod(Method):
    supervised = True
    dependencies = ("torch", "cebra")
    uses_gpu = True
    version = "2"  # 2: exact k-d tree positive search on the CPU, compiled NER loss (README, speed)
    #: the published training (reference-protocol.md section 3); early stopping is off unless asked for
    defaults = {"dim": 3, "iterations": 20000, "batch_size": 512, "learning_rate": 1e-4, "temperature": 1.0,
                "hidden_units": 32, "time_offset": 1, "model": "offset1-model", "threads": 1,
                "early_stopping": False, "validation_fraction": 0.2, "validation_every": 250, "patience": 4}
    minimums = {"iterations": 1, "batch_size": 2, "learning_rate": 1e-12, "temperature": 1e-12, "hidden_units": 1,
                "time_offset": 1, "threads": 0, "validation_fraction": 1e-6, "validation_every": 1, "patience": 1}
    #: converged: up to the published length, stopped once the loss on held-out training trials plateaus
    #: quick: 500 iterations, where the synthetic default's training-length curve has flattened
    #: (docs/methods.md, "Training length")
    budgets = {"quick": {"iterations": 500}, "paper": {"iterations": 20000},
               "converged": {"iterations": 20000, "early_stopping": True}}
    #: fixed batches of held-out training bins each validation averages over
    VALIDATION_BATCHES = 4
    #: how positives are drawn (``_cebra_common.POSITIVES``): by ``time_delta`` on the labels, by ``time``
    #: offset alone, or ``hybrid`` (both, two losses)
    positives = "time_delta"
    #: a fit's first n iterations are its n-iteration fit (seeded loader, Adam, no schedule): checkpoints
    length_parameter = "iterations"

    def search_labels(self, labels: np.ndarray) -> np.ndarray:
        """The label columns the ``time_delta`` positive search uses."""
        return labels

    def make_solver(self, setup: TrainingSetup, labels: np.ndarray, device: str) -> cebra.solver.Solver:
        """The cebra solver that trains ``setup.model`` on ``labels`` (the training bins' full labels).
        Import cebra inside: it takes seconds, and this module is imported at plug-in discovery."""
        raise NotImplementedError

    def validation_loss(self, solver: cebra.solver.Solver, batch, labels: np.ndarray) -> float:
        """The training loss of one held-out batch (``labels``: the held-out bins' full labels)."""
        prediction = solver._inference(batch)
        loss, _, _ = solver.criterion(prediction.reference, prediction.positive, prediction.negative)
        return float(loss)

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "CebraEncoderMethod":
        from ner_bench.builtins.methods import _cebra_common as common

        p = self.params
        fit_part, held_out = self._validation_split(train)
        labels = fit_part.labels.astype(np.float32)  # [10*vx, 10*vy, theta]
        setup = common.make_setup(fit_part.neural, self.search_labels(labels), dim=p["dim"],
                                  hidden_units=p["hidden_units"], model_architecture=p["model"],
                                  iterations=p["iterations"], batch_size=p["batch_size"],
                                  time_offset=p["time_offset"], learning_rate=p["learning_rate"], seed=seed,
                                  device=device, positives=self.positives)
        solver = self.make_solver(setup, labels, device)
        self.model_, self.device_ = setup.model, device  # set first: a checkpoint embeds while training
        with common.torch_threads(p["threads"]):
            if held_out is None:
                self.training_ = common.train(solver, setup.loader, self._after_step(solver))
            else:
                self.training_ = self._train_with_validation(solver, setup, held_out, seed, device)
        return self

    def _after_step(self, solver):
        """The training loop's hook at checkpoints: embed, then put the encoder back in training mode."""
        if not self.checkpoints:
            return None

        def reached(steps: int) -> None:
            if self.checkpoint_reached(steps):
                solver.model.train()

        return reached

    def _validation_split(self, train: Recording) -> tuple[Recording, Recording | None]:
        """(trials to train on, held-out training trials to validate on, or None without early stopping)."""
        if not self.params["early_stopping"]:
            return train, None
        from ner_bench.split import validation_trials

        held = validation_trials(train, self.params["validation_fraction"], method=self.name,
                                 parameter="validation_fraction")
        return train.select_trials(np.setdiff1d(train.trial_ids, held)), train.select_trials(held)

    def _train_with_validation(self, solver, setup, held_out: Recording, seed: int, device: str) -> dict:
        from ner_bench.builtins.methods import _cebra_common as common

        p = self.params
        labels = held_out.labels.astype(np.float32)
        batches = common.validation_batches(held_out.neural, self.search_labels(labels), setup.model,
                                            count=self.VALIDATION_BATCHES, batch_size=p["batch_size"],
                                            time_offset=p["time_offset"], seed=seed, device=device,
                                            positives=self.positives)
        validate = lambda: np.mean([self.validation_loss(solver, batch, labels) for batch in batches])  # noqa: E731
        return common.train_until_plateau(solver, setup.loader, validate, every=p["validation_every"],
                                          patience=p["patience"])

    def training_summary(self) -> str:
        training = getattr(self, "training_", None) or {}
        if "iterations_trained" not in training:
            return f"{self.params['iterations']} iterations"
        how = "stopped on a validation plateau" if training["stopped_on_plateau"] else "no plateau"
        return (f"{training['iterations_trained']} of {self.params['iterations']} iterations ({how}), weights of "
                f"iteration {training['best_iteration']} (validation loss {training['best_validation_loss']:.4f})")

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        from ner_bench.builtins.methods._cebra_common import embed

        return embed(self.model_, recording.neural, self.device_, threads=self.params["threads"])
