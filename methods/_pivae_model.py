"""The conv-piVAE network in PyTorch: label prior p(z|u), Gaussian encoder q(z|x) over a window of bins,
their product as the posterior, and a volume-preserving GIN flow decoder to Poisson rates.

Follows CEBRA's TensorFlow conv-piVAE (``third_party/pivae/pivae_code/conv_pi_vae.py``, adapted from
Zhou & Wei 2020, github.com/zhd96/pi-vae ``code/pi_vae.py``), which the NER paper ran:

- prior: u -> 20 tanh -> 20 tanh -> (mean, log-variance) of z;
- encoder (``conv``, as published): two separate 1-D conv nets (mean; log-variance) over a 10-bin window:
  conv k=2 (32, GELU), three residual conv k=3 blocks (32, GELU, centre-cropped skip), conv k=3 to z;
  10 bins shrink to 1. ``mlp`` is the original pi-VAE encoder (60 tanh -> 60 tanh -> z) on the
  flattened window;
- decoder: the flow maps z to all ``window x neurons`` values of the window: a first layer
  z -> [z, t(z)], then blocks of a fixed permutation and two affine coupling layers whose scales are
  ``0.1 tanh`` with the last one minus the sum of the others (log-determinant exactly 0); softplus rates,
  clipped to [1e-7, 1e7];
- loss per window: sum over the window of (rate - x log rate) + KL(q(z|x,u) || p(z|u)).

Initialisation is Keras's (Glorot-uniform weights, zero biases) and the permutations are the original's
(``np.random.seed(block)``), so that only the framework differs.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

RATE_MIN, RATE_MAX = 1e-7, 1e7


def keras_init(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, as Keras's Dense and Conv1D layers start."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)


def mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    """Dense layers with ``activation`` between them and a linear last layer."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


# ------------------------------------------------------------------------------------------ prior, encoder
class LabelPrior(nn.Module):
    """p(z|u) = N(mean(u), exp(log_var(u))) for a continuous label u."""

    def __init__(self, dim_u: int, dim_z: int, hidden: int = 20) -> None:
        super().__init__()
        self.net = mlp([dim_u, hidden, hidden, 2 * dim_z], nn.Tanh)

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.net(u).chunk(2, dim=-1)
        return mean, log_var


class ResidualConv(nn.Module):
    """conv k=3 + GELU, added to the input cropped by one bin at each end (valid padding)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3)
        self.act = nn.GELU(approximate="tanh")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., 1:-1] + self.act(self.conv(x))


class ConvEncoderHead(nn.Module):
    """One conv net from a (batch, window, neurons) window to a (batch, dim_z) vector."""

    def __init__(self, n_neurons: int, window: int, dim_z: int, channels: int = 32) -> None:
        super().__init__()
        if window != 10:
            raise ValueError(f"the conv encoder reads exactly 10 bins (its convolutions shrink 10 to 1), "
                             f"got window={window}; use encoder='mlp' for other windows")
        self.net = nn.Sequential(nn.Conv1d(n_neurons, channels, 2), nn.GELU(approximate="tanh"),
                                 *[ResidualConv(channels) for _ in range(3)], nn.Conv1d(channels, dim_z, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.transpose(1, 2)).squeeze(-1)


class MLPEncoderHead(nn.Module):
    """The original pi-VAE encoder (gen_nodes tanh -> gen_nodes tanh -> z) on the flattened window."""

    def __init__(self, n_neurons: int, window: int, dim_z: int, gen_nodes: int = 60) -> None:
        super().__init__()
        self.net = mlp([n_neurons * window, gen_nodes, gen_nodes, dim_z], nn.Tanh)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))


# ------------------------------------------------------------------------------------------ GIN flow
class FirstFlowLayer(nn.Module):
    """z -> [z, t(z)]: lifts z to ``dim_out`` values, t an MLP (dim_out//4 relu, dim_out//4 relu, linear)."""

    def __init__(self, dim_z: int, dim_out: int) -> None:
        super().__init__()
        if dim_out <= dim_z:
            raise ValueError(f"the flow needs more outputs ({dim_out}) than latent dimensions ({dim_z})")
        hidden = dim_out // 4
        self.net = mlp([dim_z, hidden, hidden, dim_out - dim_z], nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, self.net(z)], dim=-1)


class AffineCoupling(nn.Module):
    """GIN coupling: x = [x1, x2] -> [x2 * exp(s(x1)) + t(x1), x1], with sum(s) = 0 (volume preserving).

    s has ``0.1 tanh`` scales for all but its last entry, which is minus their sum.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.split = dim // 2
        self.n_change = dim - self.split
        hidden = dim // 4
        self.net = mlp([self.split, hidden, hidden, 2 * self.n_change - 1], nn.ReLU)

    def scale_shift(self, x1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.net(x1)
        free = 0.1 * torch.tanh(out[..., : self.n_change - 1])
        log_scale = torch.cat([free, -free.sum(dim=-1, keepdim=True)], dim=-1)
        return log_scale, out[..., self.n_change - 1:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[..., : self.split], x[..., self.split:]
        log_scale, shift = self.scale_shift(x1)
        return torch.cat([x2 * torch.exp(log_scale) + shift, x1], dim=-1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        changed, x1 = y[..., : self.n_change], y[..., self.n_change:]
        log_scale, shift = self.scale_shift(x1)
        return torch.cat([x1, (changed - shift) * torch.exp(-log_scale)], dim=-1)


class GINBlock(nn.Module):
    """A fixed permutation (the original's ``np.random.seed(index)``), then two coupling layers."""

    def __init__(self, dim: int, index: int) -> None:
        super().__init__()
        permutation = np.random.RandomState(index).permutation(dim)
        self.register_buffer("permutation", torch.as_tensor(permutation, dtype=torch.long))
        self.register_buffer("inverse_permutation", torch.as_tensor(np.argsort(permutation), dtype=torch.long))
        self.couplings = nn.ModuleList([AffineCoupling(dim), AffineCoupling(dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[..., self.permutation]
        for coupling in self.couplings:
            x = coupling(x)
        return x

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        for coupling in reversed(self.couplings):
            y = coupling.inverse(y)
        return y[..., self.inverse_permutation]


class GINDecoder(nn.Module):
    """z -> Poisson rates of every neuron in every bin of the window, shape (batch, window, neurons)."""

    def __init__(self, dim_z: int, n_neurons: int, window: int, n_blocks: int = 2) -> None:
        super().__init__()
        self.shape = (window, n_neurons)
        dim = n_neurons * window
        self.first = FirstFlowLayer(dim_z, dim)
        self.blocks = nn.ModuleList([GINBlock(dim, index) for index in range(n_blocks)])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.first(z)
        for block in self.blocks:
            x = block(x)
        rates = nn.functional.softplus(x).clamp(RATE_MIN, RATE_MAX)
        return rates.reshape(-1, *self.shape)


# ------------------------------------------------------------------------------------------ the model
def gaussian_product(mean1: torch.Tensor, log_var1: torch.Tensor, mean2: torch.Tensor,
                     log_var2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and log-variance of N(mean1, var1) * N(mean2, var2), normalised (precision-weighted)."""
    mean = mean1 / (1 + torch.exp(log_var1 - log_var2)) + mean2 / (1 + torch.exp(log_var2 - log_var1))
    log_var = log_var1 + log_var2 - torch.logaddexp(log_var1, log_var2)
    return mean, log_var


def gaussian_kl(mean_q: torch.Tensor, log_var_q: torch.Tensor, mean_p: torch.Tensor,
                log_var_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mean_q, var_q) || N(mean_p, var_p)) of diagonal Gaussians, summed over the last axis."""
    terms = 1 + log_var_q - log_var_p - ((mean_q - mean_p) ** 2 + torch.exp(log_var_q)) / torch.exp(log_var_p)
    return -0.5 * terms.sum(dim=-1)


def poisson_nll(rates: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum(rate - x log rate) per window, the original's loss (log x! dropped; x may be non-integer)."""
    return (rates - x * torch.log(rates)).flatten(1).sum(dim=1)


class ConvPiVAE(nn.Module):
    """The whole model; ``loss`` is the mean negative ELBO of a batch of (window, label) pairs."""

    def __init__(self, n_neurons: int, dim_u: int, dim_z: int = 3, window: int = 10, n_blocks: int = 2,
                 encoder: str = "conv", gen_nodes: int = 60) -> None:
        super().__init__()
        if encoder == "conv":
            heads = [ConvEncoderHead(n_neurons, window, dim_z) for _ in range(2)]
        elif encoder == "mlp":
            heads = [MLPEncoderHead(n_neurons, window, dim_z, gen_nodes) for _ in range(2)]
        else:
            raise ValueError(f"encoder must be 'conv' or 'mlp', got {encoder!r}")
        self.encoder_mean, self.encoder_log_var = heads
        self.prior = LabelPrior(dim_u, dim_z)
        self.decoder = GINDecoder(dim_z, n_neurons, window, n_blocks)
        keras_init(self)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): mean and log-variance from the neural window alone."""
        return self.encoder_mean(x), self.encoder_log_var(x)

    def posterior(self, x: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x,u) ∝ q(z|x) p(z|u): mean and log-variance (uses the labels)."""
        return gaussian_product(*self.encode(x), *self.prior(u))

    def loss(self, x: torch.Tensor, u: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of Poisson NLL of the window + KL(q(z|x,u) || p(z|u)).

        ``noise`` is the standard-normal draw of the reparameterised sample, (batch, dim_z).
        """
        z_mean, z_log_var = self.encode(x)
        prior_mean, prior_log_var = self.prior(u)
        post_mean, post_log_var = gaussian_product(z_mean, z_log_var, prior_mean, prior_log_var)
        z = post_mean + torch.exp(0.5 * post_log_var) * noise
        rates = self.decoder(z)
        return (poisson_nll(rates, x) + gaussian_kl(post_mean, post_log_var, prior_mean, prior_log_var)).mean()
