"""Checkpoints: one long fit of a step-trained method that is also each of its shorter fits.

A method trained step by step declares its ``length_parameter`` (``iterations`` for NER and the CEBRAs)
when its first n steps *are* its n-step fit: same seed, same batches in the same order, no schedule that
looks at the total length (``tests/test_checkpoints.py`` checks the embeddings equal). Such a method takes
``checkpoints``: ``ner[iterations=20000,checkpoints=500+2000+5000]`` trains once, embeds the recording
after 500, 2 000 and 5 000 steps as well, and each of those embeddings is stored as the fit
``ner[iterations=500]`` would be (the same cache key), so that a later run asking for that length finds
it. The run scores every checkpoint as a method of its own (``expanded_choices``), so one long run gives
the whole training-length curve (``budget_curve.py``).

``checkpoints`` changes nothing about the long fit, so it is not one of its parameters (not in its key).
Early stopping keeps its best weights, which a shorter fit would not have seen: the two are refused
together.
"""

from __future__ import annotations

from typing import Any

from .errors import NerBenchError

PARAMETER = "checkpoints"


def checkpoint_parameter(cls: type, given: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, ...]]:
    """``given`` without ``checkpoints``, and the step counts asked for (sorted, each once; () if none)."""
    rest = dict(given)
    value = rest.pop(PARAMETER, ())
    counts = parse_counts(value, f"method {cls.name!r}: parameter {PARAMETER}")
    if counts and not getattr(cls, "length_parameter", ""):
        raise NerBenchError(f"method {cls.name!r}: parameter {PARAMETER}={value!r}, but {cls.name!r} does not "
                            "train step by step (only methods with a length_parameter, e.g. ner, cebra, take "
                            "checkpoints)")
    return rest, counts


def parse_counts(value: Any, where: str) -> tuple[int, ...]:
    """Step counts joined by ``+`` (``500+2000``) or a list of ints."""
    if value in ((), [], "", None):
        return ()
    items = str(value).replace(",", "+").split("+") if isinstance(value, (str, int)) else list(value)
    counts = []
    for item in items:
        try:
            count = int(str(item).strip())
        except ValueError:
            count = 0
        if count < 1 or isinstance(item, bool):
            raise NerBenchError(f"{where}: {item!r} is not a step count; expected positive integers joined by "
                                "'+' (e.g. checkpoints=500+2000+5000)")
        counts.append(count)
    return tuple(sorted(set(counts)))


def check_counts(name: str, params: dict[str, Any], length_parameter: str, counts: tuple[int, ...]) -> None:
    """Every checkpoint lies before the fit's own length, and the fit does not stop early."""
    if not counts:
        return
    total = params[length_parameter]
    late = [c for c in counts if c >= total]
    if late:
        raise NerBenchError(f"method {name!r}: {PARAMETER} {'+'.join(map(str, late))} not below "
                            f"{length_parameter}={total}; a checkpoint is a shorter fit of the same run")
    if params.get("early_stopping"):
        raise NerBenchError(f"method {name!r}: {PARAMETER} with early_stopping=true; early stopping keeps the "
                            "weights of its best validation, which a shorter fit would not have seen")
