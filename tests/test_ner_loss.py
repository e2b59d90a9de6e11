"""ner_bench.ner_loss: value and gradient equal the direct transcription of the published loss."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ner_bench import ner_loss
from ner_bench.label_ranking import label_distance, rank_labels
from ner_bench.builtins.methods.ner.loss import _rank_contrast_log_space, _RankContrast
from support.transcribed_ner_loss import transcribed_ner_loss


def tied_wrapping_batch(batch_size: int = 24, seed: int = 0, dtype=torch.float64):
    """Embeddings and labels with many tied label distances and angles on both sides of 0/360."""
    generator = torch.Generator().manual_seed(seed)
    reference = torch.randn(batch_size, 3, generator=generator, dtype=dtype)
    positive = torch.randn(batch_size, 3, generator=generator, dtype=dtype)
    angles = torch.tensor([0.0, 45.0, 315.0, 350.0, 10.0, 180.0], dtype=dtype)
    labels = torch.stack([torch.randint(-2, 3, (batch_size,), generator=generator).to(dtype),
                          torch.randint(-1, 2, (batch_size,), generator=generator).to(dtype) * 0.5,
                          angles[torch.randint(0, len(angles), (batch_size,), generator=generator)]], dim=1)
    labels[3] = labels[7]  # a repeated label
    return reference.requires_grad_(), positive.requires_grad_(), labels


def value_and_gradient(loss_fn, reference, positive, labels, **kwargs):
    loss = loss_fn(reference, positive, labels, **kwargs)
    return loss.detach(), torch.autograd.grad(loss, [reference, positive])


def assert_close(actual, expected, rtol=1e-6):
    scale = expected.abs().max()
    assert (actual - expected).abs().max() <= rtol * scale, f"{actual} != {expected}"


@pytest.mark.parametrize("temperature", [1.0, 0.3, 0.002])  # 0.002: the log-space path
@pytest.mark.parametrize("seed", [0, 1])
def test_value_and_gradient_equal_the_transcription(temperature, seed):
    reference, positive, labels = tied_wrapping_batch(seed=seed)
    value, gradient = value_and_gradient(ner_loss, reference, positive, labels, temperature=temperature)
    expected_value, expected_gradient = value_and_gradient(transcribed_ner_loss, reference, positive, labels,
                                                           temperature=temperature)
    assert_close(value, expected_value)
    for actual, expected in zip(gradient, expected_gradient):
        assert_close(actual, expected)


def test_fast_and_log_space_paths_agree():
    reference, positive, labels = tied_wrapping_batch(seed=3)
    ranking = rank_labels(labels)
    group_count = ranking.group_count.to(torch.float64)

    def fast(reference, positive, labels):
        return _RankContrast.apply(torch.cat([reference, positive]), ranking.order, group_count, 0.5)

    def log_space(reference, positive, labels):
        return _rank_contrast_log_space(torch.cat([reference, positive]), ranking.order, group_count, 0.5)

    value, gradient = value_and_gradient(fast, reference, positive, labels)
    expected_value, expected_gradient = value_and_gradient(log_space, reference, positive, labels)
    assert_close(value, expected_value)
    for actual, expected in zip(gradient, expected_gradient):
        assert_close(actual, expected)


def test_identical_embeddings_give_mean_log_count_of_items_at_least_as_far():
    batch_size = 512
    generator = torch.Generator().manual_seed(0)
    labels = torch.stack([torch.randn(batch_size, generator=generator) * 3,
                          torch.randn(batch_size, generator=generator) * 3,
                          torch.randint(0, 8, (batch_size,), generator=generator).float() * 45], dim=1)
    same = torch.zeros(batch_size, 3)
    distance = np.tile(label_distance(labels.numpy()), (2, 2))
    n = 2 * batch_size
    others = distance[~np.eye(n, dtype=bool)].reshape(n, n - 1)  # d_aj for j != a
    ascending = np.sort(others, axis=1)
    at_least_as_far = [(n - 1) - np.searchsorted(row_sorted, row, side="left")
                       for row_sorted, row in zip(ascending, others)]  # [a][k]: #{j != a: d_aj >= d_ak}
    expected = float(np.mean(np.log(at_least_as_far)))
    assert ner_loss(same, same, labels).item() == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(5.94, abs=0.01)


def test_duplicate_embeddings_have_finite_gradients():
    reference, positive, labels = tied_wrapping_batch(seed=4, dtype=torch.float32)
    positive = reference.detach().clone().requires_grad_()  # every positive equals its reference
    _, gradient = value_and_gradient(ner_loss, reference, positive, labels)
    assert all(torch.isfinite(g).all() for g in gradient)


def test_float32_matches_float64():
    reference, positive, labels = tied_wrapping_batch(batch_size=64, seed=5)
    exact = ner_loss(reference, positive, labels)
    single = ner_loss(reference.float(), positive.float(), labels.float())
    assert single.dtype == torch.float32
    assert single.item() == pytest.approx(exact.item(), rel=1e-5)


@pytest.mark.parametrize("args, message", [
    ((torch.zeros(4, 3), torch.zeros(5, 3), torch.zeros(4, 3)), "same shape"),
    ((torch.zeros(4, 3), torch.zeros(4, 3), torch.zeros(5, 3)), "one per reference"),
    ((torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(1, 3)), "at least 2"),
    ((torch.zeros(4), torch.zeros(4), torch.zeros(4, 3)), "(B, D)"),
    ((torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([[0.0, math.nan, 0.0]] * 2)), "NaN"),
])
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ner_loss(*args)


def test_bad_temperature_is_a_clear_error():
    with pytest.raises(ValueError, match="temperature"):
        ner_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), temperature=0.0)
