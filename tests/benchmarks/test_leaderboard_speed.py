"""Speed goal of the leaderboard (run with `pytest tests/benchmarks --benchmark-only`): the board of the
README's headline run (`ner-bench run --methods all --task cross-session` on the synthetic default) is
written, figures and latent trajectories included, in under a minute on 2 cores (`jobs="auto"`, the
command line's default).
"""

import pytest

import ner_bench as nb
from ner_bench.runner import run
from support.optional_deps import METHOD_MODULES

for _module in sorted(set(METHOD_MODULES.values()) | {"seaborn", "scikit_posthocs"}):
    pytest.importorskip(_module)


@pytest.fixture(scope="module")
def headline(tmp_path_factory):
    """The run folder of the README's headline run (about 3 minutes of fitting on 2 cores)."""
    out = tmp_path_factory.mktemp("headline")
    run(methods="all", tasks="cross-session", dataset="synthetic", out=out, progress=False, jobs="auto")
    return out


def test_leaderboard_of_the_headline_run(benchmark, headline, tmp_path_factory):
    def fresh_folder():
        return (headline,), dict(out=tmp_path_factory.mktemp("board"), jobs="auto", progress=False)

    board = benchmark.pedantic(nb.leaderboard, setup=fresh_folder, rounds=2, iterations=1)
    kinds = {record.kind for record in board.figures}
    assert {"bars", "ranks", "matrix", "time_course", "trajectories"} <= kinds and board.index_html.exists()


def test_leaderboard_tables_of_the_headline_run(benchmark, headline):
    board = benchmark.pedantic(nb.leaderboard, args=(headline,), rounds=3, iterations=1)
    assert len(board.summary) and len(board.pairwise) and len(board.time_course)
