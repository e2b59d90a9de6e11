"""Which job a free worker takes: fits of groups it has prepared first, then jobs nobody is prepared for,
and fits of a group prepared elsewhere only when they outlast preparing it again."""

from collections import deque

from ner_bench.jobs import FitJob, FitOutcome
from ner_bench.method import Method
from ner_bench.execution.chooser import JobChooser, set_up_first


class Costly(Method):
    name = "costly"

    def prepare(self) -> None:  # a set-up worth keeping a worker for
        pass

    def fit(self, train, *, seed, device="cpu"):
        return self

    def transform(self, recording):
        return recording.neural


class Cheap(Costly):
    name = "cheap"
    prepare = Method.prepare


def fit(method: str, group: str = "", number: int = 0, cls=None) -> FitJob:
    return FitJob(method=method, params={}, method_version="1", recording=None, split=None, seed=number,
                  prepare_group=group, method_class=cls)


def test_a_worker_takes_fits_of_its_prepared_group_first():
    queue = deque([fit("pca"), fit("umap-label", "umap"), "scoring"])
    assert JobChooser().choose(queue, {"umap"}, set()).method == "umap-label"
    assert [getattr(job, "method", job) for job in queue] == ["pca", "scoring"]


def test_a_worker_leaves_a_group_prepared_elsewhere_to_that_worker():
    queue = deque([fit("umap", "umap"), "scoring", fit("pca")])
    assert JobChooser().choose(queue, set(), {"umap"}) == "scoring"
    assert JobChooser().choose(deque([fit("umap", "umap"), fit("pca")]), set(), {"umap"}).method == "pca"


def test_a_worker_prepares_a_group_again_only_when_its_pending_fits_outlast_that():
    chooser = JobChooser()
    first = FitOutcome("k", "ok", fit_seconds=4.0, transform_seconds=1.0, meta={"prepare_seconds": 30.0})
    chooser.observe(fit("umap", "umap"), first)
    few = deque(fit("umap", "umap", n) for n in range(3))  # 15 s of fits < 2 x 30 s of set-up
    assert chooser.choose(few, set(), {"umap"}) is None and len(few) == 3
    many = deque(fit("umap", "umap", n) for n in range(12))  # 60 s of fits
    assert chooser.choose(many, set(), {"umap"}).seed == 0


def test_a_group_never_seen_finishing_is_assumed_long():
    assert JobChooser().choose(deque([fit("umap", "umap")]), set(), {"umap"}).method == "umap"


def test_fits_of_methods_with_a_set_up_are_queued_first():
    jobs = [fit("cheap", number=0, cls=Cheap), fit("costly", number=1, cls=Costly), fit("cheap", number=2, cls=Cheap)]
    assert [job.seed for job in set_up_first(jobs)] == [1, 0, 2]
