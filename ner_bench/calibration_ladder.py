"""The rows of the calibration ladder (``calibration.py``) for one recording pair (A, B).

A's decoders are fitted once, on A's training trials in A's own space; every rung maps B's test trials
into that space and scores them. The controls fit their own decoders on B. Rows carry ``alignment`` (the
rung), ``alignment_mode``, ``calibration_trials`` (how many of B's trials the rung saw),
``calibration_labelled`` and ``calibration_block`` (how B's block was chosen: ``balanced`` or ``first``);
``calibration_curve`` marks them as ladder rows, which the leaderboard shows in its calibration table
instead of the main tables. Only B's test trials are scored, and per-bin accuracies are
left out (the per-bin time course stays in the main rows). A rung that cannot be fitted at some K (e.g. its
calibration trials share fewer than 2 directions with A) has no rows at that K; the log says why.
"""

from __future__ import annotations

import logging

import numpy as np

from .calibration import (AT_EVERY_SIZE, DEFAULT_BLOCK, LABELLED, MAPS_BY_NAME, RUNGS, TargetMap, calibration_block,
                          published_map)
from .decoders import fit_decoders, trials_key
from .errors import NerBenchError
from .memo import BoundedMemo
from .protocol import Protocol
from .task import EmbeddedTrials, Embedding
from .threads import limited

log = logging.getLogger(__name__)

#: the rows of the controls (``refit``, ``ceiling``) by content of B's block and test trials: they do not depend
#: on the source, and every pair with the same target scores them
_CONTROL_ROWS: "BoundedMemo[list[dict]]" = BoundedMemo(256)


def alignment_calibration(method: str, target: Embedding) -> dict:
    """Mode and calibration of a main row's alignment (``alignment.py``): what of B it saw."""
    if method == "none":
        return dict(alignment_mode="none", calibration_size="0", calibration_trials=0, calibration_labelled=False)
    if method == "published":  # every trial of B, test trials included
        return dict(alignment_mode="oracle", calibration_size="all", calibration_trials=int(target.recording.n_trials),
                    calibration_labelled=True)
    return dict(alignment_mode="supervised", calibration_size="all", calibration_trials=len(target.split.train_trials),
                calibration_labelled=True)


def ladder_rows(source: Embedding, target: Embedding, protocol: Protocol, sizes: tuple, rungs: tuple[str, ...],
                decoders: tuple[str, ...], block: str = DEFAULT_BLOCK) -> list[dict]:
    """Every rung of ``rungs`` at every size of ``sizes`` (once for rungs that do not depend on K), on B's
    calibration blocks chosen the ``block`` way (``calibration.block_trials``). Every row carries ``block``,
    the rungs that see no block or all of B's training trials too, so that one run's rows form one curve."""
    source_train, target_test = source.part("train"), target.part("test")
    n_train = len(target.split.train_trials)
    rows = []
    with limited():
        fixed = fit_decoders(source_train, protocol, decoders=decoders)
        for rung in rungs:
            for size in _sizes_of(rung, sizes, n_train):
                trials = calibration_block(target, size, block)
                try:
                    scored = _rung_rows(rung, fixed, source, source_train, target, trials, target_test, protocol,
                                        decoders)
                except (NerBenchError, ValueError, np.linalg.LinAlgError) as error:
                    log.info("calibration rung %s at K=%s for %s -> %s not fitted: %s", rung, size,
                             source.recording.id, target.recording.id, error)
                    continue
                seen = {"none": 0, "published": target.recording.n_trials}.get(rung, trials.recording.n_trials)
                rows += [dict(row, alignment=rung, alignment_mode=RUNGS[rung], calibration_size=_size_label(rung, size),
                              calibration_trials=int(seen), calibration_labelled=rung in LABELLED,
                              calibration_block=block, calibration_curve=True)
                         for row in scored if row.get("time_bin") is None]
    return rows


def _size_label(rung: str, size) -> str:
    """The K asked for ("8", "all"; "0" for ``none``): ``calibration_trials`` says how many B had."""
    return "0" if rung == "none" else str(size)


def _sizes_of(rung: str, sizes: tuple, n_train: int) -> list:
    """The calibration sizes a rung runs at: every K from 1 to below B's training-trial count, and ``all``
    (but for ``refit``, whose ``all`` is the ``ceiling``), for rungs that fit on the block; one run for the
    rest. K = 0 fits nothing on B: that is the ``none`` rung."""
    if rung not in AT_EVERY_SIZE:
        return ["all"]
    chosen = [size for size in sizes if (size == "all" and rung != "refit") or (size != "all" and 0 < size < n_train)]
    return list(dict.fromkeys(chosen))


def _rung_rows(rung: str, fixed, source: Embedding, source_train: EmbeddedTrials, target: Embedding,
               block: EmbeddedTrials, target_test: EmbeddedTrials, protocol: Protocol,
               decoders: tuple[str, ...]) -> list[dict]:
    if rung in ("refit", "ceiling"):  # B's own decoders, in B's own space, whatever the source
        key = trials_key(f"{protocol!r}{decoders}", block, target_test)
        rows = _CONTROL_ROWS.get(key, lambda: [row for decoder in fit_decoders(block, protocol, decoders=decoders)
                                               for row in decoder.rows({"test": target_test})])
        return [dict(row) for row in rows]
    if rung == "none":
        mapping = TargetMap.identity(source_train.values.shape[1])
    elif rung == "published":
        mapping = published_map(source, target)
    else:
        mapping = MAPS_BY_NAME[rung](source_train, block)
    mapped = EmbeddedTrials(mapping.apply(target_test.values), target_test.recording)
    return [row for decoder in fixed for row in decoder.rows({"test": mapped})]
