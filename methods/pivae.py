"""piVAE (Zhou & Wei 2020) as the NER paper ran it: CEBRA's conv-piVAE, here in PyTorch.

A label prior p(z|u) on u = ``[10 vx, 10 vy, angle]``, a Gaussian encoder q(z|x) over the 10 bins
t-5..t+4 around each bin (within its trial, edge bins replicated), their product as the posterior, a GIN
flow decoder to Poisson rates of the whole window, and the checkpoint with the best validation loss, the
validation part being the last quarter of the training trials (the published 60/20/20 proportions).

``pivae`` embeds every bin by the label-free encoder mean of q(z|x): ``transform`` reads neural activity
only. ``pivae-posterior`` is the published, leaky variant: the posterior mean of q(z|x,u), which reads the
recording's behaviour labels at transform time, test trials included (kept out of ``--methods all``).

The neural data are smoothed rates, not counts; like the published code we feed them to the Poisson
likelihood as they are: ``rate - x log rate`` is still minimised at ``rate = x`` for any x >= 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ner_bench import Method, NerBenchError, Recording
from ner_bench.threads import torch_threads

if TYPE_CHECKING:  # torch is imported when a piVAE is fitted, not when the registry lists it
    import torch

    from ner_bench.builtins.methods._pivae_model import ConvPiVAE
    from ner_bench.builtins.methods._pivae_training import TrainingResult

TRANSFORM_CHUNK = 4096  # windows per forward pass when embedding


def torch_device(device: str) -> torch.device:
    """The requested torch device, with a clear error when it is not usable here."""
    import torch

    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise NerBenchError(f"argument --device: {device!r} is not a torch device (e.g. 'cpu', 'cuda:0')") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise NerBenchError(f"argument --device: {device!r} requested but torch {torch.__version__} sees no CUDA GPU")
    return chosen


def check_params(name: str, params: dict) -> None:
    """Reject parameter values the network cannot be built with, naming the parameter."""
    problems = {key: params[key] < 1 and "expected at least 1"
                for key in ("dim", "epochs", "batch_size", "window", "gen_nodes", "n_blocks", "cpu_threads")}
    problems["lr"] = not params["lr"] > 0 and "expected a positive learning rate"
    problems["encoder"] = params["encoder"] not in ("conv", "mlp") and "expected 'conv' or 'mlp'"
    problems["window_edges"] = params["window_edges"] not in ("replicate", "clip") and "expected 'replicate' or 'clip'"
    if params["encoder"] == "conv" and params["window"] != 10:
        problems["window"] = "the conv encoder reads exactly 10 bins (its convolutions shrink 10 to 1); use encoder=mlp"
    for key, problem in problems.items():
        if problem:
            raise NerBenchError(f"method {name!r} parameter {key!r}: {problem}, got {params[key]!r}")


class PiVAE(Method):
    name = "pivae"
    dependencies = ("torch",)
    description = ("conv-piVAE (label prior, 10-bin conv encoder, GIN flow decoder, Poisson); embedding = "
                   "label-free encoder mean q(z|x)")
    supervised = True
    uses_gpu = True
    defaults = {"dim": 3, "epochs": 50, "batch_size": 200, "lr": 2.5e-4, "window": 10,
                "window_edges": "replicate", "encoder": "conv", "gen_nodes": 60, "n_blocks": 2,
                "valid_fraction": 0.25, "shuffle": False, "cpu_threads": 1}
    minimums = {"epochs": 1, "batch_size": 1, "lr": 1e-12, "window": 1, "gen_nodes": 1, "n_blocks": 1,
                "valid_fraction": 1e-6, "cpu_threads": 0}
    # quick: ~360 steps instead of 600 (a few CPU seconds on a default synthetic recording), with smaller
    # batches and a larger step size so that it still converges as far as the published 50 epochs do there
    budgets = {"quick": {"epochs": 10, "batch_size": 64, "lr": 1e-3},
               "paper": {"epochs": 50, "batch_size": 200, "lr": 2.5e-4}}

    #: fitted attributes: the network of the best epoch, its training history, the torch device and width
    model_: ConvPiVAE
    training_: TrainingResult
    device_: torch.device
    n_neurons_: int

    def fit(self, train_recording: Recording, *, seed: int, device: str = "cpu") -> "PiVAE":
        """Train on the first training trials, keep the best epoch on the last ``valid_fraction`` of them."""
        from ner_bench.builtins.methods._pivae_training import train, validation_trials

        check_params(self.name, self.params)
        self.device_ = torch_device(device)
        self.n_neurons_ = train_recording.n_neurons
        held = validation_trials(train_recording, self.params["valid_fraction"])
        fit_trials = np.setdiff1d(train_recording.trial_ids, held)
        with torch_threads(self.params["cpu_threads"]):
            self.training_ = train(train_recording.select_trials(fit_trials), train_recording.select_trials(held),
                                   self.params, seed, self.device_)
        self.model_ = self.training_.model
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        """Encoder mean of q(z|x) for every bin, from the neural window alone."""
        self.check_fitted()
        return self._embed(recording, labels=None)

    def _embed(self, recording: Recording, labels: np.ndarray | None) -> np.ndarray:
        import torch

        from ner_bench.builtins.methods._pivae_training import windows

        if recording.n_neurons != self.n_neurons_:
            raise NerBenchError(f"method {self.name!r}: recording {recording.id!r} has {recording.n_neurons} "
                                f"neurons; the model was fitted on {self.n_neurons_}")
        x_all = windows(recording, self.params["window"], self.params["window_edges"])
        out = []
        with torch.no_grad(), torch_threads(self.params["cpu_threads"]):
            for start in range(0, len(x_all), TRANSFORM_CHUNK):
                x = torch.as_tensor(x_all[start:start + TRANSFORM_CHUNK], device=self.device_)
                if labels is None:
                    mean, _ = self.model_.encode(x)
                else:
                    u = torch.as_tensor(labels[start:start + TRANSFORM_CHUNK], dtype=torch.float32, device=self.device_)
                    mean, _ = self.model_.posterior(x, u)
                out.append(mean.cpu().numpy())
        return np.concatenate(out).astype(np.float32)


class PiVAEPosterior(PiVAE):
    name = "pivae-posterior"
    description = ("conv-piVAE, the published leaky variant: posterior mean of q(z|x,u), which uses the "
                   "recording's behaviour labels at transform time (test trials included)")
    in_all = False
    uses_behavior_at_transform = True  # the contract check exempts it explicitly and says so

    def transform(self, recording: Recording) -> np.ndarray:
        """Posterior mean of q(z|x,u): reads ``recording.labels`` (the published embedding; a leak)."""
        self.check_fitted()
        return self._embed(recording, labels=recording.labels)
