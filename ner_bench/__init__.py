"""ner-bench: which dimensionality-reduction method gives latent dynamics aligned with movement?

The public face, for notebooks and plug-in files:

- running: ``run`` (methods x tasks on a dataset -> the tidy results table), ``fit_embeddings`` (the
  embeddings alone), ``leaderboard`` (results -> tables, figures, ``index.html``);
- the plug-in base classes ``Method``, ``Dataset``, ``Task`` and what they handle (``Recording``,
  ``Split``, ``Unit``, ``Embedding``, ``EmbeddedTrials``, ``Context``, ``Protocol``);
- the task toolkit: ``PairwiseTask``/``PairwiseDecoding`` (tasks over ordered recording pairs of the
  pair types they name), ``decoding_rows``/``chosen_decoders`` (the decoders every task shares),
  ``direction_averages``/``common_directions``/``stacked`` (direction-averaged trajectories),
  ``pair_type`` and ``PAIR_TYPES``, ``with_alignment``;
- ``ner_loss``, the NER loss for one batch.

Everything past the base classes is imported on first use, so that ``import ner_bench`` stays light
(a plug-in file imports it without pandas, torch or matplotlib).

>>> import ner_bench as nb
>>> results = nb.run(methods="pca", tasks="within-session", out=None)  # doctest: +SKIP
"""

import importlib

from .dataset import Dataset
from .errors import NerBenchError, PluginError, RecordingError
from .method import Method
from .protocol import Protocol
from .recording import Recording
from .split import Split, chronological_split
from .task import Context, Embedding, EmbeddedTrials, Task, Unit

#: public names imported on first use: name -> module (relative to this package)
_LAZY = {
    "run": "runner", "fit_embeddings": "runner", "FittedEmbedding": "runner",
    "leaderboard": "board", "Leaderboard": "board",
    "PairwiseTask": "pairs", "PairwiseDecoding": "pairs", "pair_type": "pairs", "PAIR_TYPES": "pairs",
    "with_alignment": "pairs",
    "decoding_rows": "decoders", "chosen_decoders": "decoders", "DECODERS": "decoders",
    "direction_averages": "trajectories", "common_directions": "trajectories", "stacked": "trajectories",
    "ner_loss": "builtins.methods.ner.loss",
}

__all__ = ["Context", "Dataset", "Embedding", "EmbeddedTrials", "Method", "NerBenchError", "PluginError",
           "Protocol", "Recording", "RecordingError", "Split", "Task", "Unit", "chronological_split", *sorted(_LAZY)]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'ner_bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
