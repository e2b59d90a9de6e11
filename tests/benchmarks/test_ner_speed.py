"""Speed of the NER loss and of NER and CEBRA training, side by side in one run (one torch thread).

    pytest tests/benchmarks/test_ner_speed.py --benchmark-only

What is measured (the ratios are printed at the end of the run; compare within one run, since other jobs
on the machine move absolute times):

- the loss forward+backward at B = 512 from the labels (``ner_loss``: ranking included), from a prepared
  ranking, and by the O(n^3) transcription of the published loop (the anchor);
- how the loss grows with B (128 to 2 048), on the compiled path and on the tensor path;
- one training step of NER and of CEBRA on the same data and encoder (``ner_step``: as the method trains
  on the CPU; ``ner_step_prefetch``: with the batch ranking in a worker thread, as on a GPU), and one step
  of cebra's own loop (its loader and brute-force positive search, as ``cebra.CEBRA`` builds them);
- a whole 2 000-iteration fit of NER and of CEBRA on a release-sized recording (a release recording when
  the release folder is at hand, else the synthetic default).

Goals (issue 19): loss forward+backward at B = 512 at most 4 ms; NER step / CEBRA step at most 1.0; a
CEBRA step no slower than cebra's own loop; loss cost growing no faster than B^2 log B.
Torch CPU threads: ``NER_BENCH_THREADS`` (default 1, the methods' default ``threads`` parameter).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("cebra")

from ner_bench import chronological_split, ner_loss  # noqa: E402
from ner_bench.label_ranking import rank_labels  # noqa: E402
from ner_bench.builtins.methods.ner import fused_loss  # noqa: E402
from ner_bench.builtins.methods.ner.loss import _RankContrast, ner_loss_from_ranking  # noqa: E402
from ner_bench.plugins import discover  # noqa: E402
from support.transcribed_ner_loss import transcribed_ner_loss  # noqa: E402

THREADS = int(os.environ.get("NER_BENCH_THREADS", "1"))
BATCH = 512
SIZES = (128, 512, 1024, 2048)
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
    have = lambda *names: set(names) <= MEDIANS.keys()  # noqa: E731
    ratio = lambda a, b: MEDIANS[a] / MEDIANS[b]  # noqa: E731
    for loss in ("ner_loss", "tensor_path_ner_loss"):
        if have("transcription", loss):
            lines.append(f"  loss fwd+bwd: transcription / {loss} = {ratio('transcription', loss):.0f}x")
    for step in ("ner_step", "ner_step_prefetch", "cebra_own_loop_step"):
        if have(step, "cebra_step"):
            lines.append(f"  {step} / cebra_step = {ratio(step, 'cebra_step'):.2f}x "
                         f"({1 / MEDIANS[step]:.0f} vs {1 / MEDIANS['cebra_step']:.0f} it/s)")
    if have("ner_fit_2000", "cebra_fit_2000"):
        lines.append(f"  2000-iteration fit: ner / cebra = {ratio('ner_fit_2000', 'cebra_fit_2000'):.2f}x")
    bound = (2048 / 512) ** 2 * math.log(2048) / math.log(512)
    for path in ("fused", "tensor"):
        if have(f"{path}_loss_B512", f"{path}_loss_B2048"):
            growth = ratio(f"{path}_loss_B2048", f"{path}_loss_B512")
            lines.append(f"  {path} loss, B 512 -> 2048: {growth:.1f}x (B^2 log B: {bound:.1f}x)")
    config.benchmark_summary.extend(lines)


def record(benchmark, name: str) -> None:
    MEDIANS[name] = benchmark.stats.stats.median
    benchmark.extra_info["torch_threads"] = THREADS


@pytest.fixture(scope="module")
def recording():
    return discover().get("datasets", "synthetic")().recordings()[0]


def make_batch(recording, size: int):
    """Embeddings on the unit sphere and the labels of ``size`` training bins of a recording."""
    train = chronological_split(recording).train(recording)
    rows = np.random.default_rng(0).integers(0, train.n_bins, size)
    generator = torch.Generator().manual_seed(0)
    reference, positive = (torch.nn.functional.normalize(torch.randn(size, 3, generator=generator), dim=1)
                           for _ in range(2))
    return reference, positive, torch.from_numpy(train.labels[rows].astype(np.float32))


@pytest.fixture(scope="module")
def batch(recording):
    return make_batch(recording, BATCH)


def forward_backward(loss_fn, reference, positive, labels):
    reference, positive = reference.clone().requires_grad_(), positive.clone().requires_grad_()
    loss_fn(reference, positive, labels).backward()


def test_loss_transcription(benchmark, batch):
    benchmark.pedantic(forward_backward, args=(transcribed_ner_loss, *batch), rounds=2, iterations=1)
    record(benchmark, "transcription")


def test_loss(benchmark, batch):
    benchmark.pedantic(forward_backward, args=(ner_loss, *batch), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "ner_loss")


def test_loss_on_the_tensor_path(benchmark, batch, monkeypatch):
    monkeypatch.setenv("NER_BENCH_NATIVE", "0")  # the PyTorch reference, as before the compiled kernels
    benchmark.pedantic(forward_backward, args=(ner_loss, *batch), rounds=50, iterations=1, warmup_rounds=3)
    record(benchmark, "tensor_path_ner_loss")


def test_label_ranking(benchmark, batch):
    benchmark.pedantic(rank_labels, args=(batch[2],), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "label_ranking")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", ["fused", "tensor"])
def test_loss_growth_with_batch_size(benchmark, recording, path, size):
    """Loss forward+backward from a prepared ranking (the ranking's own cost is test_label_ranking's)."""
    if path == "fused" and not fused_loss.available(torch.zeros(2, 3)):
        pytest.skip("the compiled NER loss could not be built here")
    reference, positive, labels = make_batch(recording, size)
    ranking = rank_labels(labels)
    contrast = fused_loss.FusedRankContrast if path == "fused" else _RankContrast

    def loss_fn(r, p, _):
        return contrast.apply(torch.cat([r, p]), ranking.order, ranking.group_count, 1.0)

    rounds = 30 if size <= 1024 else 10
    benchmark.pedantic(forward_backward, args=(loss_fn, reference, positive, labels), rounds=rounds,
                       iterations=1, warmup_rounds=2)
    record(benchmark, f"{path}_loss_B{size}")


def test_loss_with_prepared_ranking(benchmark, batch):
    reference, positive, labels = batch
    ranking = rank_labels(labels)
    loss_fn = lambda r, p, _: ner_loss_from_ranking(r, p, ranking)  # noqa: E731
    benchmark.pedantic(forward_backward, args=(loss_fn, *batch), rounds=100, iterations=1, warmup_rounds=5)
    record(benchmark, "ner_loss_prepared_ranking")


def training_step(name: str, recording, prefetch: bool = True):
    """(step, close): one training step of a method's solver per call, batches drawn by its loader.
    ``cebra-own``: cebra's own loader (brute-force positive search) and solver, as cebra.CEBRA has them."""
    from ner_bench.builtins.methods import _cebra_common as common
    from ner_bench.builtins.methods.ner.solver import SOLVER_NAME, NerCriterion, RankingPrefetcher

    method = discover().get("methods", "cebra" if name == "cebra-own" else name)(budget="paper")
    p = method.params
    train = chronological_split(recording).train(recording)
    labels = train.labels.astype(np.float32)
    search = labels[:, :2] if name == "ner" else labels
    setup = common.make_setup(train.neural, search, dim=p["dim"], hidden_units=p["hidden_units"],
                              model_architecture=p["model"], iterations=10 ** 6, batch_size=p["batch_size"],
                              time_offset=p["time_offset"], learning_rate=p["learning_rate"], seed=0,
                              device="cpu")
    loader = setup.loader
    if name == "ner":
        solver = common.cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer,
                                          criterion=NerCriterion(), labels=labels, tqdm_on=False)
        loader = RankingPrefetcher(setup.loader, solver.rank_references) if prefetch else setup.loader
    else:
        solver = common.cebra.solver.init("single-session", model=setup.model, optimizer=setup.optimizer,
                                          criterion=common.cebra.models.FixedCosineInfoNCE(temperature=1.0),
                                          tqdm_on=False)
    if name == "cebra-own":
        loader = common.cebra.data.ContinuousDataLoader(dataset=setup.loader.dataset, num_steps=10 ** 6,
                                                        batch_size=p["batch_size"], conditional="time_delta",
                                                        time_offset=p["time_offset"])
    solver.model.train()
    batches = iter(loader)
    return (lambda: solver.step(next(batches))), getattr(batches, "close", lambda: None)


STEPPERS = {"cebra_step": ("cebra", False), "ner_step": ("ner", False), "ner_step_prefetch": ("ner", True),
            "cebra_own_loop_step": ("cebra-own", False)}


def test_training_steps_side_by_side(benchmark, recording):
    """The four loops take turns, 20 steps each per round, so that whatever else the machine does falls
    on all of them alike; each one's median step over all rounds is recorded."""
    steppers = {label: training_step(name, recording, prefetch) for label, (name, prefetch) in STEPPERS.items()}
    durations = {label: [] for label in steppers}

    def one_round():
        for label, (step, _) in steppers.items():
            for _ in range(20):
                started = time.perf_counter()
                step()
                durations[label].append(time.perf_counter() - started)

    try:
        one_round()  # warm-up
        durations = {label: [] for label in steppers}
        benchmark.pedantic(one_round, rounds=10, iterations=1)
    finally:
        for _, close in steppers.values():
            close()
    for label, seconds in durations.items():
        MEDIANS[label] = float(np.median(seconds))
        benchmark.extra_info[label] = MEDIANS[label]


@pytest.fixture(scope="module")
def release_sized_recording(request):
    """A release recording (the first of the reaching dataset) when the folder is at hand, else synthetic."""
    from conftest import RELEASE

    if (RELEASE / "MANIFEST.tsv").exists():
        recordings = discover().get("datasets", "reaching")(data_dir=str(RELEASE)).recordings()
        if recordings:
            return recordings[0]
    return discover().get("datasets", "synthetic")().recordings()[0]


@pytest.mark.parametrize("name", ["cebra", "ner"])
def test_whole_fit(benchmark, release_sized_recording, name):
    train = chronological_split(release_sized_recording).train(release_sized_recording)
    method = discover().get("methods", name)(iterations=2000)
    benchmark.pedantic(lambda: method.fit(train, seed=0), rounds=1, iterations=1)
    benchmark.extra_info["recording"] = release_sized_recording.id
    benchmark.extra_info["training_bins"] = int(train.n_bins)
    record(benchmark, f"{name}_fit_2000")
