"""The NER loss on the CPU as one compiled pass (``fused_loss.cpp``): value and gradient together.

Whole-matrix tensor operations stream a dozen passes over the 2B x 2B similarity matrix through memory;
the kernel walks it row by row, each row in L1 cache, with glibc's vector exp and log. It returns the
loss and, when the items need a gradient, d loss / d items, which the backward pass scales by the
incoming gradient. Same formula and same tie handling as ``_RankContrast`` in :mod:`.loss`, which stays
the reference, the GPU path and the path where no compiler is at hand.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import torch

from ner_bench import native

SOURCE = Path(__file__).with_name("fused_loss.cpp")
_TYPES = {torch.float32: "float32", torch.float64: "float64"}


def available(items: torch.Tensor) -> bool:
    """Whether the kernel computes the loss of these items (a CPU float32/float64 tensor, kernel built)."""
    return (items.device.type == "cpu" and items.dtype in _TYPES and native.enabled()
            and _kernels() is not None)


@functools.lru_cache(maxsize=1)
def _kernels() -> dict | None:
    library = native.load(SOURCE)
    if library is None:
        return None
    kernels = {}
    for dtype, name in _TYPES.items():
        kernel = getattr(library, f"ner_fused_loss_{name}")
        kernel.restype = ctypes.c_double
        kernel.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p,
                           ctypes.c_double, ctypes.c_void_p]
        kernels[dtype] = kernel
    return kernels


class FusedRankContrast(torch.autograd.Function):
    """``FusedRankContrast.apply(items, order, group_count, temperature)``: the loss of the stacked items."""

    @staticmethod
    def forward(ctx, items, order, group_count, temperature):
        items_t = items.detach().T.contiguous()  # (dim, n): one coordinate of every item is contiguous
        order = order.to(torch.int32).contiguous()
        group_count = group_count.to(items.dtype).contiguous()
        grad_t = torch.empty_like(items_t) if ctx.needs_input_grad[0] else None
        value = _kernels()[items.dtype](items_t.data_ptr(), items_t.shape[1], items_t.shape[0], order.data_ptr(),
                                        group_count.data_ptr(), float(temperature),
                                        None if grad_t is None else grad_t.data_ptr())
        if grad_t is not None:
            ctx.save_for_backward(grad_t)
        return items.new_tensor(value)

    @staticmethod
    def backward(ctx, grad_loss):
        (grad_t,) = ctx.saved_tensors
        return grad_t.T * grad_loss, None, None, None
