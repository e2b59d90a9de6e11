"""The compiled NER loss (methods/ner/fused_loss.cpp) equals the tensor path and the transcription."""

import pytest

torch = pytest.importorskip("torch")

from ner_bench import native, ner_loss
from ner_bench.label_ranking import rank_labels
from ner_bench.builtins.methods.ner import fused_loss
from ner_bench.builtins.methods.ner.fused_loss import FusedRankContrast
from ner_bench.builtins.methods.ner.loss import _RankContrast
from support.transcribed_ner_loss import transcribed_ner_loss
from test_ner_loss import assert_close, tied_wrapping_batch, value_and_gradient

pytestmark = pytest.mark.skipif(not fused_loss.available(torch.zeros(2, 3)),
                                reason="the fused NER loss kernel could not be built here (no C++ compiler)")


def both_paths(reference, positive, labels, temperature):
    ranking = rank_labels(labels)
    group_count = ranking.group_count.to(reference.dtype)
    results = []
    for contrast in (FusedRankContrast, _RankContrast):
        loss_fn = lambda r, p, _: contrast.apply(torch.cat([r, p]), ranking.order, group_count,  # noqa: E731
                                                 temperature)
        results.append(value_and_gradient(loss_fn, reference, positive, labels))
    return results


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-12), (torch.float32, 2e-5)])
@pytest.mark.parametrize("batch_size, dim", [(24, 3), (300, 3), (64, 16)])
def test_fused_equals_tensor_path(dtype, rtol, batch_size, dim):
    generator = torch.Generator().manual_seed(batch_size)
    _, _, labels = tied_wrapping_batch(batch_size=batch_size, seed=batch_size, dtype=dtype)
    reference, positive = (torch.randn(batch_size, dim, generator=generator, dtype=dtype).requires_grad_()
                           for _ in range(2))
    (value, gradient), (expected_value, expected_gradient) = both_paths(reference, positive, labels, 0.7)
    assert_close(value, expected_value, rtol)
    for actual, expected in zip(gradient, expected_gradient):
        assert_close(actual, expected, rtol)


@pytest.mark.parametrize("seed", [0, 1])
def test_fused_equals_the_transcription(seed):
    reference, positive, labels = tied_wrapping_batch(seed=seed)
    assert fused_loss.available(reference)
    value, gradient = value_and_gradient(ner_loss, reference, positive, labels, temperature=0.3)
    expected_value, expected_gradient = value_and_gradient(transcribed_ner_loss, reference, positive, labels,
                                                           temperature=0.3)
    assert_close(value, expected_value, 1e-12)
    for actual, expected in zip(gradient, expected_gradient):
        assert_close(actual, expected, 1e-12)


def test_duplicates_and_identical_items_are_finite():
    reference, _, labels = tied_wrapping_batch(seed=4, dtype=torch.float32)
    positive = reference.detach().clone().requires_grad_()
    (value, gradient), (expected_value, expected_gradient) = both_paths(reference, positive, labels, 1.0)
    assert torch.isfinite(value) and all(torch.isfinite(g).all() for g in gradient)
    assert_close(value, expected_value, 2e-5)
    same = torch.zeros(24, 3, requires_grad=True)
    (value, gradient), (expected_value, _) = both_paths(same, same.detach().clone().requires_grad_(), labels, 1.0)
    assert_close(value, expected_value, 2e-5)
    assert (gradient[0] == 0).all()


def test_value_without_gradient_is_the_same_value():
    reference, positive, labels = tied_wrapping_batch(seed=6)
    with_gradient = ner_loss(reference, positive, labels)
    with torch.no_grad():
        without = ner_loss(reference, positive, labels)
    assert without.item() == with_gradient.item()


def test_backward_scales_by_the_incoming_gradient():
    reference, positive, labels = tied_wrapping_batch(seed=7)
    (2.5 * ner_loss(reference, positive, labels)).backward()
    scaled = reference.grad.clone()
    reference.grad = None
    ner_loss(reference, positive, labels).backward()
    assert_close(scaled, 2.5 * reference.grad, 1e-14)


def test_switching_native_kernels_off_takes_the_tensor_path(monkeypatch):
    monkeypatch.setenv(native.SWITCH_VARIABLE, "0")
    assert not fused_loss.available(torch.zeros(2, 3))
    reference, positive, labels = tied_wrapping_batch(seed=8)
    off = value_and_gradient(ner_loss, reference, positive, labels)
    monkeypatch.delenv(native.SWITCH_VARIABLE)
    on = value_and_gradient(ner_loss, reference, positive, labels)
    assert_close(on[0], off[0], 1e-12)
