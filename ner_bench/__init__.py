"""ner-bench: which dimensionality-reduction method gives latent dynamics aligned with movement?

>>> import ner_bench as nb
>>> results = nb.run(methods="pca", tasks="within-session", out=None)  # doctest: +SKIP
"""

from .dataset import Dataset
from .errors import NerBenchError, PluginError, RecordingError
from .method import Method
from .protocol import Protocol
from .recording import Recording
from .split import Split, chronological_split
from .task import Context, Embedding, EmbeddedTrials, Task, Unit


def run(*args, **kwargs):
    """Run methods x tasks on a dataset; see :func:`ner_bench.runner.run`."""
    from .runner import run as _run  # deferred: keeps `import ner_bench` light for plug-in files

    return _run(*args, **kwargs)


run.__doc__ = "Run methods x tasks on a dataset and return the tidy results DataFrame (see ner_bench.runner.run)."


def leaderboard(*args, **kwargs):
    """Summary/pairwise tables, figures and index.html from results; see :func:`ner_bench.leaderboard.leaderboard`."""
    from .leaderboard import leaderboard as _leaderboard  # deferred: the engine imports without matplotlib

    return _leaderboard(*args, **kwargs)

__all__ = ["Context", "Dataset", "Embedding", "EmbeddedTrials", "Method", "NerBenchError", "PluginError",
           "Protocol", "Recording", "RecordingError", "Split", "Task", "Unit", "chronological_split", "leaderboard",
           "ner_loss", "run"]


def __getattr__(name: str):
    # ner_loss needs torch: imported on first use, so that the engine imports without torch
    if name == "ner_loss":
        from .ner_loss import ner_loss as function

        globals()["ner_loss"] = function
        return function
    raise AttributeError(f"module 'ner_bench' has no attribute {name!r}")
