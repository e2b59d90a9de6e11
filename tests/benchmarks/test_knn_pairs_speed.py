"""Speed of kNN decoding across recordings (run with `pytest tests/benchmarks --benchmark-only`).

Goal: scoring one more recording pair with kNN costs at least 10x less on the shared path (A's index and
ks built once per source embedding, B's test bins mapped back by the isometry's inverse: one query) than
on the general path (grid search, index on A's aligned copy, both of B's splits queried), at the
release's size; and the kNN scoring of a whole cross-session task on the 21 release recordings at hand.
"""

import time

import numpy as np
import pytest

from ner_bench import Context, EmbeddedTrials, Embedding, Recording, chronological_split
from ner_bench.alignment import align
from ner_bench.decoders import knn_decoders
from ner_bench.knn import _MEMO as SEARCH_MEMO
from ner_bench.protocol import STRICT
from ner_bench.decoders import _FITTED as FITTED_MEMO
from ner_bench.pairs import source_space_knn_rows

MEDIANS: dict[str, float] = {}
PAIR_NAME = ""


def release_sized(seed: int, n_trials: int = 206) -> Embedding:
    """A 3-D embedding of Mihili 2014-02-17's size (206 trials x 40 bins), in a space of its own."""
    rng = np.random.default_rng(seed)
    direction = np.repeat(np.arange(n_trials) % 8, 40)
    angle = np.deg2rad(direction * 45.0)
    speed = np.tile(np.sin(np.linspace(0, np.pi, 40)), n_trials)
    velocity = np.column_stack([speed * np.cos(angle), speed * np.sin(angle)]) + 0.1 * rng.normal(size=(len(speed), 2))
    latent = np.column_stack([velocity, speed]) + 0.3 * rng.normal(size=(len(speed), 3))
    recording = Recording.from_trials(id=f"rec{seed}", neural=latent, velocity=velocity, direction=direction,
                                      trial_length=40)
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    return Embedding(recording, chronological_split(recording), latent @ rotation + rng.normal(size=3))


def pca_embeddings(recordings) -> dict[str, Embedding]:
    from ner_bench.builtins.methods.pca import PCA

    embeddings = {}
    for recording in recordings:
        split = chronological_split(recording)
        embeddings[recording.id] = Embedding(recording, split, PCA().fit(split.train(recording), seed=0)
                                             .transform(recording))
    return embeddings


@pytest.fixture(scope="module")
def pair(request):
    """PCA embeddings of Mihili 2014-02-17 -> 02-18 M1 when the release is at hand, else two synthetic
    embeddings of that size; with their training-trial Procrustes alignment."""
    from conftest import RELEASE
    from ner_bench.builtins.datasets.reaching import Reaching

    if (RELEASE / "MANIFEST.tsv").exists():
        recordings = Reaching(RELEASE, missing="skip").recordings(sessions=["2014-02-17", "2014-02-18"], areas=["M1"])
        source, target = pca_embeddings(recordings).values()
    else:
        source, target = release_sized(0), release_sized(1)
    MEDIANS.clear()
    global PAIR_NAME
    PAIR_NAME = f"{source.recording.id} -> {target.recording.id}"
    return source, target, align(source, target, "train-procrustes")


def test_pair_on_the_general_path(benchmark, pair):
    """Today's path for a pair scored alone: grid search, an index on A's aligned copy, both splits of B."""
    source, target, alignment = pair
    fit_on = source.part("train")
    aligned = EmbeddedTrials(alignment.apply(fit_on.values), fit_on.recording)
    splits = {"test": target.part("test"), "train": target.part("train")}

    def cold():
        SEARCH_MEMO.clear()
        FITTED_MEMO.clear()
        return knn_decoders(aligned, STRICT, search_on=fit_on).rows(splits)

    benchmark.pedantic(cold, rounds=3, iterations=1)
    MEDIANS["general"] = benchmark.stats.stats.median


def test_pair_on_the_general_path_with_the_search_remembered(benchmark, pair):
    """Today's path when A's grid search is already remembered (A scored before in the same job)."""
    source, target, alignment = pair
    fit_on = source.part("train")
    aligned = EmbeddedTrials(alignment.apply(fit_on.values), fit_on.recording)
    splits = {"test": target.part("test"), "train": target.part("train")}
    knn_decoders(fit_on, STRICT)  # the search, remembered

    def warm():
        FITTED_MEMO.clear()
        return knn_decoders(aligned, STRICT, search_on=fit_on).rows(splits)

    benchmark.pedantic(warm, rounds=3, iterations=1)
    MEDIANS["general_search_remembered"] = benchmark.stats.stats.median


def test_pair_on_the_shared_path(benchmark, pair, request):
    source, target, alignment = pair
    fit_on, target_test = source.part("train"), target.part("test")
    source_space_knn_rows(fit_on, alignment, target_test, STRICT)  # A's index and ks, built once per source
    rows = benchmark.pedantic(lambda: source_space_knn_rows(fit_on, alignment, target_test, STRICT), rounds=5,
                              iterations=1)
    assert rows
    MEDIANS["shared"] = benchmark.stats.stats.median
    report(request.config)


def test_knn_scoring_of_a_21_recording_cross_session_task(benchmark, release_dir, request):
    """Every pair of the cross-session task (and its diagonal) on the release recordings at hand, PCA
    embeddings, kNN only: the task's own (shared) path, all searches and indexes built within."""
    from ner_bench.builtins.datasets.reaching import Reaching
    from ner_bench.builtins.tasks.cross_session import CrossSession

    recordings = Reaching(release_dir, missing="skip").recordings()
    embeddings = pca_embeddings(recordings)
    task = CrossSession(decoders="knn", calibration="off")
    units = task.units(recordings)

    def score_all():
        SEARCH_MEMO.clear()
        FITTED_MEMO.clear()
        return [task.evaluate(u, embeddings[u.train.id], embeddings[u.test.id], Context(STRICT, 0)) for u in units]

    started = time.perf_counter()
    benchmark.pedantic(score_all, rounds=1, iterations=1)
    seconds = time.perf_counter() - started
    pairs = sum(u.train is not u.test for u in units)
    request.config.benchmark_summary.append(
        f"kNN cross-session scoring, {len(recordings)} recordings, {pairs} pairs + {len(units) - pairs} diagonal "
        f"units: {seconds:.1f} s")


def report(config) -> None:
    if {"general", "general_search_remembered", "shared"} <= MEDIANS.keys():
        shared = MEDIANS["shared"]
        config.benchmark_summary.append(
            f"kNN per pair ({PAIR_NAME}): general {MEDIANS['general'] * 1e3:.0f} ms "
            f"({MEDIANS['general'] / shared:.0f}x the shared path), with the search remembered "
            f"{MEDIANS['general_search_remembered'] * 1e3:.0f} ms ({MEDIANS['general_search_remembered'] / shared:.1f}x), "
            f"shared {shared * 1e3:.0f} ms")
