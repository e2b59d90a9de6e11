"""Training of the conv-piVAE: windows of bins within trials, the published batching, Adam, and the
checkpoint with the best validation loss (validation = the last training trials, whole and in order)."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from ner_bench import NerBenchError, Recording, split

from ._pivae_model import ConvPiVAE

log = logging.getLogger(__name__)

#: the published window: bins t-5 .. t+4 around bin t
WINDOW_LEFT = 5


def window_rows(recording: Recording, window: int, edges: str) -> np.ndarray:
    """(n_bins, window) row indices of each bin's window, never crossing a trial boundary.

    ``replicate``: rows outside the trial repeat the trial's first or last bin, so every bin has its own
    window. ``clip``: the window's centre is moved inside the trial (CEBRA's monkey-reaching rule), so
    the first and last bins of a trial share the window of the nearest full one.
    """
    left = window // 2
    offsets = np.arange(-left, window - left)
    start = np.arange(recording.n_bins) - recording.time_in_trial
    last = start + recording.trial_length - 1
    if edges == "replicate":
        return np.clip(np.arange(recording.n_bins)[:, None] + offsets, start[:, None], last[:, None])
    if edges == "clip":
        if recording.trial_length < window:
            raise NerBenchError(f"method 'pivae' parameter 'window_edges': 'clip' needs trials of at least "
                                f"{window} bins, recording {recording.id!r} has {recording.trial_length}")
        centre = np.clip(np.arange(recording.n_bins), start + left, last - (window - left - 1))
        return centre[:, None] + offsets
    raise NerBenchError(f"method 'pivae' parameter 'window_edges': expected 'replicate' or 'clip', got {edges!r}")


def windows(recording: Recording, window: int, edges: str) -> np.ndarray:
    """(n_bins, window, neurons) float32 neural windows, one per bin."""
    return recording.neural[window_rows(recording, window, edges)]


def validation_trials(train: Recording, fraction: float) -> np.ndarray:
    """The last ``fraction`` of the training trials (at least one, at least one left to train on)."""
    return split.validation_trials(train, fraction, method="pivae", parameter="valid_fraction")


@dataclass
class Batches:
    """Windows and labels of some bins, cut into the published contiguous batches."""

    x: torch.Tensor
    u: torch.Tensor
    bounds: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, recording: Recording, window: int, edges: str, batch_size: int, device: torch.device) -> "Batches":
        x = torch.as_tensor(windows(recording, window, edges), device=device)
        u = torch.as_tensor(recording.labels, dtype=torch.float32, device=device)
        # the published loader: np.array_split(x, int(len(x) / batch_size)), near-equal contiguous chunks
        sizes = [len(part) for part in np.array_split(np.arange(len(x)), max(1, len(x) // batch_size))]
        ends = np.cumsum(sizes)
        return cls(x, u, [(int(end - size), int(end)) for size, end in zip(sizes, ends)])

    def __len__(self) -> int:
        return len(self.x)


def mean_loss(model: ConvPiVAE, data: Batches, noise: torch.Tensor) -> float:
    """Bin-weighted mean loss over all batches, without gradients."""
    total = 0.0
    with torch.no_grad():
        for start, end in data.bounds:
            total += float(model.loss(data.x[start:end], data.u[start:end], noise[start:end])) * (end - start)
    return total / len(data)


@dataclass
class TrainingResult:
    model: ConvPiVAE
    train_loss: list[float]
    valid_loss: list[float]
    best_epoch: int
    #: the fixed noise the validation loss is computed with (common random numbers across epochs)
    valid_noise: torch.Tensor


def train(train_part: Recording, valid_part: Recording, params: dict, seed: int,
          device: torch.device) -> TrainingResult:
    """Fit a ConvPiVAE; return the weights of the epoch with the lowest validation loss."""
    torch.manual_seed(seed)
    window, edges, batch_size = params["window"], params["window_edges"], params["batch_size"]
    model = ConvPiVAE(train_part.n_neurons, dim_u=3, dim_z=params["dim"], window=window,
                      n_blocks=params["n_blocks"], encoder=params["encoder"],
                      gen_nodes=params["gen_nodes"]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"], eps=1e-7, foreach=True)  # eps: Keras
    fit_data = Batches.of(train_part, window, edges, batch_size, device)
    valid_data = Batches.of(valid_part, window, edges, batch_size, device)
    generator = torch.Generator(device=device).manual_seed(seed)
    valid_noise = torch.randn(len(valid_data), params["dim"], generator=generator, device=device)
    order = np.random.default_rng(seed)

    best = (float("inf"), -1, copy.deepcopy(model.state_dict()))
    train_losses, valid_losses = [], []
    for epoch in range(params["epochs"]):
        batches = ([fit_data.bounds[i] for i in order.permutation(len(fit_data.bounds))] if params["shuffle"]
                   else fit_data.bounds)
        model.train()
        epoch_loss = 0.0
        for start, end in batches:
            noise = torch.randn(end - start, params["dim"], generator=generator, device=device)
            loss = model.loss(fit_data.x[start:end], fit_data.u[start:end], noise)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * (end - start)
        model.eval()
        train_losses.append(epoch_loss / len(fit_data))
        valid_losses.append(mean_loss(model, valid_data, valid_noise))
        if valid_losses[-1] < best[0]:  # Keras ModelCheckpoint(save_best_only=True): strict improvement
            best = (valid_losses[-1], epoch, copy.deepcopy(model.state_dict()))
        log.debug("pivae epoch %d: train %.4f valid %.4f", epoch, train_losses[-1], valid_losses[-1])
    if best[1] < 0:
        raise NerBenchError("method 'pivae': the validation loss was never finite; the fit diverged")
    model.load_state_dict(best[2])
    model.eval()
    return TrainingResult(model, train_losses, valid_losses, best[1], valid_noise)
