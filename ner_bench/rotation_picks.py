"""The per-direction fits that the release's rotation pick (``get_best_R``, reference protocol section 5)
admits within float tolerance.

The rule keeps, in each class (rotations, reflections), the fit whose |det| is closest to 1, then the
class candidate with the smaller L1 cost (``alignment.published_choice``). Every fit is orthogonal, so
||det| - 1| is rounding: on the release's embeddings it spans 0 to 1.3e-15 (six float64 ulps), and which
fit is closest depends on the BLAS, the CPU and the summation order. Another environment may keep any fit
of the class, and through the class's cost even the other class. So a fit is *admissible* when some
rounding of the criteria lets the rule keep it:

- within its class, its ||det| - 1| is within ``DET_TOLERANCE`` of the class's smallest;
- its cost is no more than ``COST_TOLERANCE`` (relative) above that of some admissible member of the
  other class (any cost, when the other class is empty), so that it wins that comparison.

``DET_TOLERANCE`` = 1e-9: six orders of magnitude above the spread rounding gives (1e-15), far below any
genuine departure from orthogonality (none is possible: Procrustes returns U V^T); every fit of a class is
thus admissible. ``COST_TOLERANCE`` = 1e-9 relative: a cost sums about 20 000 absolute values, whose
rounding is near 1e-12 relative; the release's class costs differ by a factor 2 to 5, so this tolerance
never admits a class on real embeddings, only on genuine near-ties.
"""

from __future__ import annotations

import numpy as np

from .alignment import (Alignment, det_distance, fit_class, fit_costs, published_alignment, published_fits,
                        same_embedding)
from .task import Embedding

DET_TOLERANCE = 1e-9
COST_TOLERANCE = 1e-9


def admissible_directions(values_a, recording_a, fits: dict[int, np.ndarray]) -> list[int]:
    """The directions whose fit the release's rule keeps under some rounding, in direction order."""
    members = {kind: _closest_to_orthogonal([d for d in sorted(fits) if fit_class(fits[d]) == kind], fits)
               for kind in ("rotation", "reflection")}
    costs = fit_costs(values_a, recording_a, fits)
    ceiling = {kind: max((costs[d] for d in chosen), default=np.inf) for kind, chosen in members.items()}
    other = {"rotation": "reflection", "reflection": "rotation"}
    return sorted(d for kind, chosen in members.items() for d in chosen
                  if costs[d] <= ceiling[other[kind]] * (1 + COST_TOLERANCE))


def _closest_to_orthogonal(directions: list[int], fits: dict[int, np.ndarray]) -> list[int]:
    """The directions whose ||det| - 1| is within ``DET_TOLERANCE`` of the smallest among them."""
    distances = {d: det_distance(fits[d]) for d in directions}
    best = min(distances.values(), default=0.0)
    return [d for d in directions if distances[d] <= best + DET_TOLERANCE]


def admissible_alignments(source: Embedding, target: Embedding) -> list[Alignment]:
    """One published alignment per admissible fit of ``source`` onto ``target``, each noting its
    direction; the identity alone when the two are the very same embedding (the diagonal)."""
    if same_embedding(source, target):
        return [Alignment.identity(source.values.shape[1], "published")]
    fits = published_fits(source.values, source.recording, target.values, target.recording)
    return [published_alignment(fits[d], note=f"admissible pick: the fit of direction {d}")
            for d in admissible_directions(source.values, source.recording, fits)]
