"""A direct transcription of the published NER loss (the loop over k of the release, O(n^3)): the
reference that ``ner_bench.ner_loss`` is checked against. Test helper only."""

from __future__ import annotations

import math

import torch


def transcribed_ner_loss(reference: torch.Tensor, positive: torch.Tensor, labels: torch.Tensor,
                         temperature: float = 1.0, circular_columns=(2,), period: float = 360.0) -> torch.Tensor:
    items = torch.cat([reference, positive])
    item_labels = torch.cat([labels, labels])
    n = len(items)
    logits = -(items[:, None, :] - items[None, :, :]).norm(2, dim=-1) / temperature
    label_diffs = torch.zeros(n, n, dtype=item_labels.dtype)
    for column in range(item_labels.shape[1]):
        values = item_labels[:, column]
        if column in circular_columns:
            values = torch.remainder(values, period)
            gap = (values[:, None] - values[None, :]).abs()
            gap = torch.minimum(gap, period - gap)
        else:
            gap = (values[:, None] - values[None, :]).abs()
        label_diffs = label_diffs + gap
    off_diagonal = ~torch.eye(n, dtype=torch.bool)
    logits = logits.masked_select(off_diagonal).view(n, n - 1)
    label_diffs = label_diffs.masked_select(off_diagonal).view(n, n - 1)
    loss = 0.0
    for k in range(n - 1):
        at_least_as_far = label_diffs >= label_diffs[:, k:k + 1]
        log_denominator = torch.logsumexp(logits.masked_fill(~at_least_as_far, -math.inf), dim=-1)
        loss = loss - ((logits[:, k] - log_denominator) / (n * (n - 1))).sum()
    return loss
