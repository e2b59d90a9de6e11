"""Speed of the NER loss and of NER and CEBRA training steps (batch 512, one synthetic recording).

    pytest tests/benchmarks/test_ner_speed.py --benchmark-only

Goals (issue 4): loss forward+backward at least 50x faster than the O(n^3) transcription, and one NER
training step at most 2x one CEBRA step on the same data and encoder (``ner_step``: as the method trains
on the CPU; ``ner_step_prefetch``: with the batch ranking in a worker thread, as on a GPU). The ratios are
printed at the end of the run (compare within one run: other jobs on the machine move absolute times).
Torch CPU threads: ``NER_BENCH_THREADS`` (default 1, the methods' default ``threads`` parameter).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("cebra")

from ner_bench import chronological_split, ner_loss  # noqa: E402
from ner_bench.label_ranking import rank_labels  # noqa: E402
from ner_bench.builtins.methods.ner.loss import ner_loss_from_ranking  # noqa: E402
from ner_bench.plugins import discover  # noqa: E402
from support.transcribed_ner_loss import transcribed_ner_loss  # noqa: E402

THREADS = int(os.environ.get("NER_BENCH_THREADS", "1"))
BATCH = 512
MEDIANS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def torch_threads(request):
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(previous)
    report(request.config)


def report(config) -> None:
    lines = [f"NER speed (batch {BATCH}, torch threads {THREADS}), medians:"]
    lines += [f"  {name}: {seconds * 1e3:.2f} ms" for name, seconds in MEDIANS.items()]
    ratio = lambda a, b: MEDIANS[a] / MEDIANS[b]  # noqa: E731
    if {"transcription", "ner_loss"} <= MEDIANS.keys():
        lines.append(f"  loss fwd+bwd: transcription / ner_loss = {ratio('transcription', 'ner_loss'):.0f}x")
    for step in ("ner_step", "ner_step_prefetch"):
        if {step, "cebra_step"} <= MEDIANS.keys():
            lines.append(f"  {step} / cebra_step = {ratio(step, 'cebra_step'):.2f}x "
                         f"({1 / MEDIANS[step]:.0f} vs {1 / MEDIANS['cebra_step']:.0f} it/s)")
    config.benchmark_summary.extend(lines)


def record(benchmark, name: str) -> None:
    MEDIANS[name] = benchmark.stats.stats.median
    benchmark.extra_info["torch_threads"] = THREADS


@pytest.fixture(scope="module")
def recording():
    return discover().get("datasets", "synthetic")().recordings()[0]


@pytest.fixture(scope="module")
def batch(recording):
    """Embeddings on the unit sphere and the labels of 512 training bins of a synthetic recording."""
    train = chronological_split(recording).train(recording)
    rows = np.random.default_rng(0).integers(0, train.n_bins, BATCH)
    generator = torch.Generator().manual_seed(0)
    reference, positive = (torch.nn.functional.normalize(torch.randn(BATCH, 3, generator=generator), dim=1)
                           for _ in range(2))
    return reference, positive, torch.from_numpy(train.labels[rows].astype(np.float32))


def forward_backward(loss_fn, reference, positive, labels):
    reference, positive = reference.clone().requires_grad_(), positive.clone().requires_grad_()
    loss_fn(reference, positive, labels).backward()


def test_loss_transcription(benchmark, batch):
    benchmark.pedantic(forward_backward, args=(transcribed_ner_loss, *batch), rounds=3, iterations=1)
    record(benchmark, "transcription")


def test_loss(benchmark, batch):
    benchmark.pedantic(forward_backward, args=(ner_loss, *batch), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "ner_loss")


def test_loss_with_prepared_ranking(benchmark, batch):
    reference, positive, labels = batch
    ranking = rank_labels(labels)
    loss_fn = lambda r, p, _: ner_loss_from_ranking(r, p, ranking)  # noqa: E731
    benchmark.pedantic(forward_backward, args=(loss_fn, *batch), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "ner_loss_prepared_ranking")


def test_label_ranking(benchmark, batch):
    benchmark.pedantic(rank_labels, args=(batch[2],), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "label_ranking")


def training_step(name: str, recording, prefetch: bool = True):
    """(step, close): one training step of a method's solver per call, batches drawn by its loader."""
    from ner_bench.builtins.methods import _cebra_common as common
    from ner_bench.builtins.methods.ner.solver import SOLVER_NAME, NerCriterion, RankingPrefetcher

    method = discover().get("methods", name)(budget="paper")
    p = method.params
    train = chronological_split(recording).train(recording)
    labels = train.labels.astype(np.float32)
    search = labels[:, :2] if name == "ner" else labels
    setup = common.make_setup(train.neural, search, dim=p["dim"], hidden_units=p["hidden_units"],
                              model_architecture=p["model"], iterations=10 ** 6, batch_size=p["batch_size"],
                              time_offset=p["time_offset"], learning_rate=p["learning_rate"], seed=0,
                              device="cpu")
    if name == "ner":
        solver = common.cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer,
                                          criterion=NerCriterion(), labels=labels, tqdm_on=False)
        loader = RankingPrefetcher(setup.loader, solver.rank_references) if prefetch else setup.loader
    else:
        solver = common.cebra.solver.init("single-session", model=setup.model, optimizer=setup.optimizer,
                                          criterion=common.cebra.models.FixedCosineInfoNCE(temperature=1.0),
                                          tqdm_on=False)
        loader = setup.loader
    solver.model.train()
    batches = iter(loader)
    return (lambda: solver.step(next(batches))), batches.close


@pytest.mark.parametrize("name, prefetch, label", [("cebra", False, "cebra_step"), ("ner", False, "ner_step"),
                                                   ("ner", True, "ner_step_prefetch")])
def test_training_step(benchmark, recording, name, prefetch, label):
    step, close = training_step(name, recording, prefetch)
    try:
        benchmark.pedantic(step, rounds=150, iterations=1, warmup_rounds=10)
    finally:
        close()
    record(benchmark, label)
