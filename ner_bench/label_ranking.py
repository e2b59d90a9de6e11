"""The label side of the NER loss: for each of B labels, every label sorted by label distance, far to
near, with its groups of ties. It depends on the labels alone (no gradient), so a training loop can
prepare it apart from the encoder.

The sort is the costly part (B rows of B distances per step). For float32 labels it runs on compiled
loops around NumPy's vectorised sort (``kernels/label_ranking.cpp``, see :mod:`ner_bench.native`): the
distances and 32-bit sort keys (a distance's bits, its lowest bits replaced by the column), then the
read-back, which settles keys that agree above the column bits from the full distances. Where no compiler
is at hand, float32 distances go through an exact two-digit radix sort whose digits are sorted by NumPy's
32-bit sort on packed keys (low bits of the distance and the column, then high bits and the first-pass
position), and a :class:`LabelRankTable` spares the distances; other types use ``argsort``.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from . import native


@dataclass(frozen=True)
class LabelRanking:
    """For each of B labels, the label columns sorted by label distance, far to near.

    ``order[r, i]`` is the label column at position i of label r's far-to-near order;
    ``group_count[r, i]`` is the number of items (of the 2B, anchor excluded) in the group of tied
    distances that ends at position i, and 0 inside a group.
    """

    order: torch.Tensor  # (B, B) int32
    group_count: torch.Tensor  # (B, B) float

    @property
    def batch_size(self) -> int:
        return self.order.shape[0]


def label_distance(labels: torch.Tensor | np.ndarray, circular_columns: Sequence[int] = (2,),
                   period: float = 360.0, others: np.ndarray | None = None) -> np.ndarray:
    """(B, B) label distances (or (B, len(others)) to ``others``) in the labels' floating type (float32 or
    float64): L1 over the columns; a circular column's values are first reduced modulo ``period`` and its
    gap g counts as min(g, period - g)."""
    values = as_label_array(labels)
    others = values if others is None else np.asarray(others, dtype=values.dtype)
    circular = _circular(values.shape[1], circular_columns)
    kind = values.dtype.type
    values, others = _reduced(values, circular, period), _reduced(others, circular, period)
    total = np.zeros((len(values), len(others)), dtype=values.dtype)
    gap = np.empty_like(total)
    for column in range(values.shape[1]):  # column by column, left to right: ties stay exact
        np.subtract(values[:, column, None], others[None, :, column], out=gap)
        np.abs(gap, out=gap)
        if column in circular:
            np.minimum(gap, kind(period) - gap, out=gap)
        total += gap
    return total


def _circular(width: int, circular_columns: Sequence[int]) -> set[int]:
    return {c % width for c in circular_columns}


def _reduced(values: np.ndarray, circular: set[int], period: float) -> np.ndarray:
    """The labels with their circular columns reduced modulo ``period`` (in the labels' type)."""
    if not circular:
        return values
    reduced = values.copy()
    for column in circular:
        reduced[:, column] = np.remainder(values[:, column], values.dtype.type(period))
    return reduced


def _column_bits(size: int) -> int:
    """Bits that hold a column index below ``size``."""
    return max(1, int(size - 1).bit_length())


def rank_labels(labels: torch.Tensor | np.ndarray, circular_columns: Sequence[int] = (2,),
                period: float = 360.0) -> LabelRanking:
    """Sort every label's neighbours by label distance, far to near, with tie groups (on the CPU)."""
    kernel = _kernel()
    values = as_label_array(labels)
    if kernel is not None and values.dtype == np.float32:
        return _compiled_ranking(kernel, values, circular_columns, period)
    distance = label_distance(values, circular_columns, period)
    ascending, tied = _ascending_order(distance)
    order = np.ascontiguousarray(ascending[:, ::-1])  # far to near; the order within ties is irrelevant
    group_count = _group_counts(order, tied[:, ::-1])
    return LabelRanking(order=torch.from_numpy(order.astype(np.int32)), group_count=torch.from_numpy(
        group_count.astype(distance.dtype)))


class LabelRankTable:
    """Dense ranks of the label distances among a fixed set of labels (a recording's training bins),
    computed once, so that ranking a batch of them is a table look-up and one packed 32-bit sort: no
    distances and no second sort per step. ``rank(indices)`` equals ``rank_labels(labels[indices])`` (up to
    the order within ties, which the loss ignores). The table holds len(labels)^2 uint16 values.
    """

    #: above this many labels the table (labels^2 x 2 bytes) is not worth its memory
    MAX_LABELS = 12000

    def __init__(self, labels: np.ndarray, circular_columns: Sequence[int] = (2,), period: float = 360.0,
                 rows_per_chunk: int = 256) -> None:
        values = as_label_array(labels)
        size = len(values)
        if size > self.MAX_LABELS:
            raise ValueError(f"LabelRankTable: {size} labels is more than {self.MAX_LABELS}")
        self.ranks = np.empty((size, size), dtype=np.uint16)  # ranks[i, j]: dense rank of d_ij in row i
        for start in range(0, size, rows_per_chunk):
            distance = label_distance(values[start:start + rows_per_chunk], circular_columns, period,
                                      others=values)
            order = np.argsort(distance, axis=1)
            ordered = np.take_along_axis(distance, order, axis=1)
            dense = np.zeros(ordered.shape, dtype=np.uint16)
            np.cumsum(ordered[:, 1:] != ordered[:, :-1], axis=1, out=dense[:, 1:])
            np.put_along_axis(self.ranks[start:start + rows_per_chunk], order, dense, axis=1)
        self.rank_bits = _column_bits(size)

    def __len__(self) -> int:
        return len(self.ranks)

    def rank(self, indices: np.ndarray | torch.Tensor) -> LabelRanking:
        """The ranking of the labels at ``indices`` (a batch of rows of the table)."""
        indices = np.asarray(indices.cpu() if torch.is_tensor(indices) else indices, dtype=np.intp)
        size = len(indices)
        column_bits = _column_bits(size)
        if self.rank_bits + column_bits > 32:
            raise ValueError(f"LabelRankTable: a batch of {size} is too large to pack")
        keys = np.take(self.ranks[indices], indices, axis=1).astype(np.uint32) << np.uint32(column_bits)
        keys |= np.arange(size, dtype=np.uint32)
        keys.sort(axis=1)  # ascending distance, ties by column
        order = (keys[:, ::-1] & np.uint32((1 << column_bits) - 1)).astype(np.int32)  # far to near
        keys >>= np.uint32(column_bits)
        tied = keys[:, :0:-1] == keys[:, -2::-1]  # far to near: positions p and p + 1 equally far
        group_count = _group_counts(order, tied)
        return LabelRanking(order=torch.from_numpy(order), group_count=torch.from_numpy(group_count.astype(
            np.float32)))


def compiled() -> bool:
    """Whether rank_labels runs on the compiled kernels here (then a LabelRankTable does not pay: ranking a
    batch from its labels is as fast as a look-up in a table too large for the cache)."""
    return _kernel() is not None


_SCRATCH = threading.local()


def _scratch(size: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's (size, size) distance and key buffers, reused from batch to batch: fresh megabytes
    each step cost page faults."""
    buffers = getattr(_SCRATCH, "buffers", None)
    if buffers is None or len(buffers[0]) != size:
        buffers = _SCRATCH.buffers = (np.empty((size, size), np.float32), np.empty((size, size), np.uint32))
    return buffers


def _kernel() -> ctypes.CDLL | None:
    """The compiled packing and read-back around the sort (kernels/label_ranking.cpp), or None."""
    return _load_kernel() if native.enabled() else None


@functools.lru_cache(maxsize=1)
def _load_kernel() -> ctypes.CDLL | None:
    library = native.load(Path(__file__).with_name("kernels") / "label_ranking.cpp", fast_math=False)
    if library is not None:
        library.distance_keys.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                                          ctypes.c_float, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        library.emit_ranking_of_distances.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                                      ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    return library


def _compiled_ranking(kernel: ctypes.CDLL, values: np.ndarray, circular_columns: Sequence[int],
                      period: float) -> LabelRanking:
    """rank_labels of float32 labels: the kernel's distances (label_distance's, bit for bit) packed into
    32-bit keys whose lowest bits hold the column, NumPy's vectorised sort of those keys, and the kernel's
    read-back, which settles keys that agree above the column bits from the full distances."""
    size, width = values.shape
    columns = _circular(width, circular_columns)
    circular = np.isin(np.arange(width), list(columns)).astype(np.uint8)
    reduced = np.ascontiguousarray(_reduced(values, columns, period).T)  # a label column contiguous
    column_bits = _column_bits(size)
    distance, packed = _scratch(size)
    kernel.distance_keys(reduced.ctypes.data, size, width, circular.ctypes.data, float(np.float32(period)),
                         column_bits, distance.ctypes.data, packed.ctypes.data)
    packed.sort(axis=1)
    order = torch.empty(size, size, dtype=torch.int32)
    group_count = torch.empty(size, size, dtype=torch.float32)
    kernel.emit_ranking_of_distances(packed.ctypes.data, distance.ctypes.data, size, column_bits,
                                     order.data_ptr(), group_count.data_ptr())
    return LabelRanking(order=order, group_count=group_count)


def _ascending_order(distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ascending argsort of a square distance matrix (int64), and ``tied[r, p]``: the distances
    at positions p and p + 1 are equal ((B, B - 1) bool)."""
    size = len(distance)
    column_bits = _column_bits(size)
    low_bits = max(8, column_bits - 1)
    if distance.dtype != np.float32 or low_bits + column_bits > 32:
        order = np.argsort(distance, axis=1, kind="stable")
        ordered = np.take_along_axis(distance, order, axis=1)
        return order, ordered[:, 1:] == ordered[:, :-1]
    # two-digit radix sort; non-negative float32 values sort like their bit patterns read as uint32
    bits = distance.view(np.uint32)
    columns = np.arange(size, dtype=np.uint32)
    column_mask = np.uint32((1 << column_bits) - 1)
    row_start = (np.arange(size, dtype=np.int64) * size)[:, None]
    low = (bits & np.uint32((1 << low_bits) - 1)) << np.uint32(column_bits)
    low |= columns
    low.sort(axis=1)  # first digit: the low bits, ties by column
    first = (low & column_mask).astype(np.int64)
    first += row_start  # flat index into distance
    high = (np.take(bits, first) >> np.uint32(low_bits)) << np.uint32(column_bits)
    high |= columns
    high.sort(axis=1)  # second digit: the high bits, ties by first-pass position
    flat = np.take(first, (high & column_mask).astype(np.int64) + row_start)
    # equal distances have equal high bits; check the low bits only where the high bits agree
    high >>= np.uint32(column_bits)
    tied = high[:, 1:] == high[:, :-1]
    candidates = np.flatnonzero(tied)
    rows, positions = np.divmod(candidates, size - 1)
    tied.reshape(-1)[candidates] = (np.take(bits, flat[rows, positions])
                                    == np.take(bits, flat[rows, positions + 1]))
    flat -= row_start
    return flat, tied


def _group_counts(order: np.ndarray, tied: np.ndarray) -> np.ndarray:
    """[row, position]: the items in the tie group that ends at that position (a label column holds two
    items, one of which is the anchor itself in its own column), 0 inside a group. ``tied[r, p]``: the
    distances at positions p and p + 1 are equal."""
    size = len(order)
    counts = (2 - (order == np.arange(size)[:, None])).astype(np.int32)
    rows, positions = np.divmod(np.flatnonzero(tied), size - 1)
    if len(rows):
        inside = rows * size + positions  # flat index of a position whose group goes on
        flat = counts.reshape(-1)
        # a run of consecutive tied positions ends one past its last member (runs never cross rows)
        run_starts = np.flatnonzero(np.r_[True, inside[1:] != inside[:-1] + 1])
        group_ends = inside[np.r_[run_starts[1:], len(inside)] - 1] + 1
        flat[group_ends] += np.add.reduceat(flat[inside], run_starts)
        flat[inside] = 0
    return counts


def as_label_array(labels) -> np.ndarray:
    """Labels as a finite (B, L) float32/float64 array (other types become float64)."""
    values = labels.detach().cpu().numpy() if torch.is_tensor(labels) else np.asarray(labels)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"ner_loss: labels must be a non-empty (B, L) array, got shape {values.shape}")
    dtype = values.dtype if values.dtype in (np.float32, np.float64) else np.float64
    values = np.ascontiguousarray(values, dtype=dtype)
    if not np.isfinite(values).all():
        raise ValueError("ner_loss: labels contain NaN or infinite values")
    return values
