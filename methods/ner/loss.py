r"""The NER loss (Rank-N-Contrast with the published label distance), exact and fast.

For B reference embeddings, their B positives and the B reference labels, stack the n = 2B items
``z = [reference; positive]``; both halves carry the reference's label. With

.. math::

    d_{ab} &= \sum_{c \notin C} |y_{ac} - y_{bc}| + \sum_{c \in C} \min(|y_{ac} - y_{bc}| \bmod P,\;
              P - |y_{ac} - y_{bc}| \bmod P)  \quad\text{(label distance; } C\text{: circular columns)}

    s_{ab} &= -\lVert z_a - z_b \rVert_2 / \tau  \quad\text{(similarity)}

    L &= -\frac{1}{n(n-1)} \sum_a \sum_{k \ne a} \Big[ s_{ak}
         - \log \sum_{j \ne a,\; d_{aj} \ge d_{ak}} \exp s_{aj} \Big]

every other item k is a positive of the anchor a, contrasted with every item ranked at least as far from
a in label space (ties and k itself included). The published code evaluates this with a loop over k,
O(n^3) per step. Here, for each anchor the items are sorted once by label distance (descending); the
denominator of k is then a cumulative sum over that order, read at the end of k's group of ties:
O(n^2 log n) for the sort, O(n^2) for the rest. Two facts make it cheap:

- the ranking depends on the labels alone, so it needs no gradient and can be prepared ahead
  (:func:`rank_labels`, :func:`ner_loss_from_ranking`);
- the 2B items carry only B distinct labels, so the sort is over a B x B matrix and the exponentials of
  an item and its twin (same label) are summed before the cumulative sum, which then runs over
  n x B instead of n x n entries.

The backward pass is written out (a reverse cumulative sum), so no O(n^2) index bookkeeping is kept for
autograd. On the CPU the same computation runs as one compiled pass over the rows
(:mod:`.fused_loss`, value and gradient together); :class:`_RankContrast` here is the reference, the
GPU path and the fallback where no C++ compiler is at hand. When some similarity is so small that ``exp`` could underflow, a log-space path
(``logcumsumexp``) gives the same value stably.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ner_bench.label_ranking import LabelRanking, as_label_array, label_distance, rank_labels

from . import fused_loss
from .fused_loss import FusedRankContrast

__all__ = ["LabelRanking", "label_distance", "ner_loss", "ner_loss_from_ranking", "rank_labels",
           "stacked_ner_loss"]

# exp(-x) stays a normal float for x up to these; beyond, the log-space path is used
_LARGEST_SAFE_EXPONENT = {torch.float32: 80.0, torch.float64: 700.0}


def ner_loss(reference: torch.Tensor, positive: torch.Tensor, labels: torch.Tensor | np.ndarray, *,
             temperature: float = 1.0, circular_columns: Sequence[int] = (2,),
             period: float = 360.0) -> torch.Tensor:
    r"""The published NER loss, a scalar tensor, differentiable in ``reference`` and ``positive``.

    Args:
        reference: (B, D) embeddings of the reference samples.
        positive: (B, D) embeddings of their positives.
        labels: (B, L) labels of the *references* (both halves carry them), e.g. ``[10*vx, 10*vy, theta]``.
        temperature: tau in ``s_ab = -||z_a - z_b|| / tau``.
        circular_columns: label columns that wrap around (``theta``, in degrees).
        period: the period of the circular columns.

    Over the n = 2B stacked items ``z = [reference; positive]`` with labels ``y = [labels; labels]``:

    ``L = -1/(n(n-1)) * sum_a sum_{k != a} [ s_ak - log sum_{j != a, d_aj >= d_ak} exp(s_aj) ]``

    with ``s_ab = -||z_a - z_b||_2 / tau`` and ``d_ab = sum_c |y_ac - y_bc|``, where a circular column
    contributes ``min(g, P - g)`` with g the gap of the values reduced modulo P. With identical embeddings
    the loss is the mean of ``log(count of items at least as far)``, about 5.94 at B = 512.

    >>> import torch
    >>> from ner_bench import ner_loss
    >>> reference, positive = torch.randn(8, 3), torch.randn(8, 3)
    >>> labels = torch.tensor([[1.0, 0.0, 0.0]] * 4 + [[0.0, 1.0, 90.0]] * 4)
    >>> ner_loss(reference, positive, labels).shape
    torch.Size([])
    """
    _check_embeddings(reference, positive)
    if len(as_label_array(labels)) != reference.shape[0]:
        raise ValueError(f"ner_loss: labels has {len(labels)} rows, expected one per reference "
                         f"({reference.shape[0]})")
    ranking = rank_labels(labels, circular_columns, period)
    return ner_loss_from_ranking(reference, positive, ranking, temperature=temperature)


def ner_loss_from_ranking(reference: torch.Tensor, positive: torch.Tensor, ranking: LabelRanking, *,
                          temperature: float = 1.0) -> torch.Tensor:
    """:func:`ner_loss` with the label ranking prepared beforehand by :func:`rank_labels`."""
    _check_embeddings(reference, positive)
    return stacked_ner_loss(torch.cat([reference, positive]), ranking, temperature=temperature)


def stacked_ner_loss(items: torch.Tensor, ranking: LabelRanking, *, temperature: float = 1.0) -> torch.Tensor:
    """:func:`ner_loss_from_ranking` of the stacked items ``[reference; positive]`` ((2B, D))."""
    if items.ndim != 2 or items.shape[0] != 2 * ranking.batch_size:
        raise ValueError(f"ner_loss: expected {2 * ranking.batch_size} stacked items (B = {ranking.batch_size} "
                         f"references and their positives), got shape {tuple(items.shape)}")
    if not temperature > 0:
        raise ValueError(f"ner_loss: temperature must be positive, got {temperature}")
    order = ranking.order.to(items.device)
    group_count = ranking.group_count.to(items.device, items.dtype)
    # |z_a - z_b| <= 2 max |z|: while exp(-that / tau) is a normal float, plain sums of exp are exact to
    # rounding; beyond, the log-space path keeps every term finite
    largest_distance = 2.0 * float(items.detach().norm(dim=1).max())
    if largest_distance / temperature <= _LARGEST_SAFE_EXPONENT.get(items.dtype, 0.0):
        contrast = FusedRankContrast if fused_loss.available(items) else _RankContrast
        return contrast.apply(items, order, group_count, float(temperature))
    return _rank_contrast_log_space(items, order, group_count, float(temperature))


class _RankContrast(torch.autograd.Function):
    """The loss of the n = 2B stacked items, with the backward pass written out.

    Rows are anchors. E = exp(s); W[a, c] sums E over the two items of label column c (columns c and
    c + B), anchor excluded; C is W's cumulative sum in the far-to-near order of the anchor's label; the
    loss is (sum of group_count * log C - sum of s) / (n(n-1)). Backward: d loss / d W is the reverse
    cumulative sum of group_count / C, and the distances' gradient reaches the items through two thin
    matrix products.
    """

    @staticmethod
    def forward(ctx, items, order, group_count, temperature):
        n, half = items.shape[0], items.shape[0] // 2
        order = order.long()  # gather's index type
        squared = _squared_distances(items.detach())
        inverse_distance = squared.rsqrt().nan_to_num_(posinf=0.0)  # 0 on the diagonal and for duplicates
        similarity = torch.addcmul(items.new_zeros(()), squared, inverse_distance, value=-1.0 / temperature)
        similarity_sum = float(similarity.sum())
        exp_similarity = _exp_(similarity)
        per_label = torch.add(exp_similarity[:, :half], exp_similarity[:, half:])  # (n, B)
        # anchor a's own label column holds only its twin (a + B or a - B): j = a is left out
        per_label[:half].diagonal().copy_(exp_similarity[:half, half:].diagonal())
        per_label[half:].diagonal().copy_(exp_similarity[half:, :half].diagonal())
        positions = order.expand(2, half, half)
        denominators = per_label.view(2, half, half).gather(2, positions).cumsum_(2)
        denominators.clamp_min_(torch.finfo(items.dtype).tiny)
        log_terms = float(_log(denominators).mul_(group_count).sum())
        loss = items.new_tensor((log_terms - similarity_sum) / (n * (n - 1)))
        ctx.save_for_backward(items, exp_similarity.mul_(inverse_distance), inverse_distance, denominators,
                              order, group_count)
        ctx.temperature = temperature
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        items, exp_over_distance, inverse_distance, denominators, order, group_count = ctx.saved_tensors
        n, half = items.shape[0], items.shape[0] // 2
        # coupling_ab = (d loss / d distance_ab) / distance_ab
        #             = scale * (E_ab * R[a, column of b] - 1) / distance_ab
        scale = float(grad_loss) * -1.0 / (ctx.temperature * n * (n - 1))
        # reverse cumulative sum: flip to near-to-far, sum, and scatter with the flipped order
        from_here_on = torch.div(group_count, denominators).flip(2).cumsum_(2).mul_(scale)
        near_to_far = order.flip(1).expand(2, half, half)
        per_label = torch.empty_like(from_here_on).scatter_(2, near_to_far, from_here_on)
        coupling = exp_over_distance.view(n, 2, half) * per_label.view(n, 1, half)
        coupling = coupling.view(n, n).sub_(inverse_distance, alpha=scale)
        return _distance_backward(items.detach(), coupling), None, None, None


def _exp_(values: torch.Tensor) -> torch.Tensor:
    """In-place exp; on the CPU through NumPy, whose vectorised exp is about twice as fast as torch's."""
    if values.device.type == "cpu" and values.is_contiguous():
        np.exp(values.numpy(), out=values.numpy())
        return values
    return values.exp_()


def _log(values: torch.Tensor) -> torch.Tensor:
    """log into a new tensor; on the CPU through NumPy (as :func:`_exp_`)."""
    if values.device.type == "cpu" and values.is_contiguous():
        return torch.from_numpy(np.log(values.numpy()))
    return values.log()


def _squared_distances(items: torch.Tensor) -> torch.Tensor:
    """(n, n) squared Euclidean distances from coordinate differences (exactly 0 for equal items)."""
    columns = items.T.contiguous()
    squared = torch.zeros(len(items), len(items), dtype=items.dtype, device=items.device)
    difference = torch.empty_like(squared)
    for column in columns:
        torch.sub(column[:, None], column[None, :], out=difference)
        squared.addcmul_(difference, difference)
    return squared


def _distance_backward(items: torch.Tensor, coupling: torch.Tensor) -> torch.Tensor:
    """Gradient of the items from coupling[a, b] = (d loss / d |z_a - z_b|) / |z_a - z_b|:
    sum_b coupling_ab (z_a - z_b) + sum_b coupling_ba (z_a - z_b), by two thin matrix products."""
    with_ones = torch.cat([items, items.new_ones(items.shape[0], 1)], dim=1).T  # (D + 1, n)
    total = torch.mm(with_ones, coupling) + torch.mm(with_ones, coupling.T)
    return total[-1][:, None] * items - total[:-1].T


def _rank_contrast_log_space(items: torch.Tensor, order: torch.Tensor, group_count: torch.Tensor,
                             temperature: float) -> torch.Tensor:
    """The same loss with log-space sums and autograd (for similarities whose exp would underflow)."""
    n, half = items.shape[0], items.shape[0] // 2
    order = order.long()
    distance = torch.cdist(items, items, compute_mode="donot_use_mm_for_euclid_dist")
    similarity = distance * (-1.0 / temperature)
    eye = torch.eye(n, dtype=torch.bool, device=items.device)
    without_anchor = similarity.masked_fill(eye, float("-inf"))
    log_per_label = torch.logaddexp(without_anchor[:, :half], without_anchor[:, half:]).view(2, half, half)
    log_denominators = torch.logcumsumexp(log_per_label.gather(2, order.expand(2, half, half)), dim=2)
    log_terms = (group_count * log_denominators).sum()
    return (log_terms - similarity.masked_fill(eye, 0.0).sum()) / (n * (n - 1))


def _check_embeddings(reference, positive) -> None:
    for name, value in (("reference", reference), ("positive", positive)):
        if not torch.is_tensor(value) or value.ndim != 2:
            raise ValueError(f"ner_loss: {name} must be a (B, D) torch tensor, got "
                             f"{getattr(value, 'shape', type(value).__name__)}")
    if reference.shape != positive.shape:
        raise ValueError(f"ner_loss: reference {tuple(reference.shape)} and positive {tuple(positive.shape)} "
                         "must have the same shape")
    if reference.shape[0] < 2:
        raise ValueError(f"ner_loss: needs at least 2 references, got {reference.shape[0]}")

