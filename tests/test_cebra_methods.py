"""NER, CEBRA and CEBRA-16 on the pinned cebra: contract, determinism, and the hooks below cebra's public
API that they rely on (these tests fail loudly if a cebra release moves them)."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

cebra = pytest.importorskip("cebra")

from support.recordings import make_recording
from ner_bench import chronological_split
from ner_bench.plugins import discover

TINY = {"iterations": 6, "batch_size": 32}


@pytest.fixture(scope="module")
def recording():
    return make_recording(n_trials=16, trial_length=10, n_neurons=6, seed=1, id="tiny")


def fit_transform(name, recording, seed=0, **params):
    method = discover().get("methods", name)(budget="quick", **{**TINY, **params})
    method.fit(chronological_split(recording).train(recording), seed=seed, device="cpu")
    return method, method.transform(recording)


@pytest.mark.parametrize("name, dim", [("ner", 3), ("cebra", 3), ("cebra-16", 16)])
def test_fit_on_training_trials_embeds_every_bin(name, dim, recording):
    method, embedding = fit_transform(name, recording)
    assert embedding.shape == (recording.n_bins, dim) and embedding.dtype == np.float32
    assert np.isfinite(embedding).all()
    assert np.allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)  # offset1-model: unit sphere
    assert method.params["dim"] == dim and method.params["learning_rate"] == 1e-4


@pytest.mark.parametrize("name", ["ner", "cebra"])
def test_same_seed_same_embedding_on_cpu(name, recording):
    first = fit_transform(name, recording, seed=3)[1]
    np.testing.assert_array_equal(first, fit_transform(name, recording, seed=3)[1])
    assert not np.array_equal(first, fit_transform(name, recording, seed=4)[1])


def test_transform_uses_neural_activity_only(recording):
    method, embedding = fit_transform("ner", recording)
    np.testing.assert_array_equal(embedding, method.transform(recording.without_behavior()))


def test_published_defaults_and_budgets():
    methods = discover().methods
    for name in ("ner", "cebra", "cebra-16"):
        paper = methods[name](budget="paper").params
        assert paper["iterations"] == 20000 and paper["batch_size"] == 512 and paper["hidden_units"] == 32
        assert paper["model"] == "offset1-model" and paper["temperature"] == 1.0 and paper["time_offset"] == 1
        assert methods[name](budget="quick").params["iterations"] < 1000
    assert methods["ner"](iterations="2000", dim="3").params["iterations"] == 2000


@pytest.mark.parametrize("table", [True, False])
def test_prefetch_and_rank_table_do_not_change_training(recording, table):
    """Ranking batches in a worker thread, from the rank table or per batch, trains the same model."""
    from ner_bench.builtins.methods import _cebra_common as common
    from ner_bench.builtins.methods.ner.solver import SOLVER_NAME, NerCriterion

    train = chronological_split(recording).train(recording)
    labels = train.labels.astype(np.float32)

    def trained_embedding(prefetch):
        setup = common.make_setup(train.neural, labels[:, :2], dim=3, hidden_units=8, model_architecture=
                                  "offset1-model", iterations=5, batch_size=32, time_offset=1,
                                  learning_rate=1e-3, seed=7, device="cpu")
        solver = cebra.solver.init(SOLVER_NAME, model=setup.model, optimizer=setup.optimizer,
                                   criterion=NerCriterion(), labels=labels, prefetch=prefetch, tqdm_on=False)
        if not table:
            solver.rank_table = None
        solver.fit(setup.loader)
        return common.embed(setup.model, recording.neural, "cpu"), solver.history

    (with_prefetch, history), (without, history_without) = trained_embedding(True), trained_embedding(False)
    np.testing.assert_array_equal(with_prefetch, without)
    assert history == history_without and len(history) == 5


def test_plugin_discovery_does_not_import_cebra():
    code = ("import sys; from ner_bench.plugins import discover; discover(); "
            "print('cebra' in sys.modules, 'ner_bench.builtins.methods.ner.loss' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_solver_registration_survives_a_reload():
    from ner_bench.builtins.methods.ner import solver as _ner_solver

    importlib.reload(_ner_solver)  # cebra raises on a second registration of a name: it must be skipped
    assert _ner_solver.SOLVER_NAME in cebra.solver.get_options()


# ---------------------------------------------------------------- hooks below cebra's public API
def test_cebra_is_the_pinned_release():
    from ner_bench.builtins.methods._cebra_common import CEBRA_VERSION

    assert cebra.__version__ == CEBRA_VERSION == "0.6.1"


def test_loader_hooks_are_present():
    from ner_bench.builtins.methods._cebra_common import ReferenceIndexedLoader, seed_loader

    neural = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    labels = np.cumsum(np.random.default_rng(1).normal(size=(50, 2)), axis=0).astype(np.float32)
    dataset = cebra.data.TensorDataset(neural, continuous=labels)
    dataset.configure_for(cebra.models.init("offset1-model", 4, 8, 3))
    loader = ReferenceIndexedLoader(dataset=dataset, num_steps=2, batch_size=8, conditional="time_delta",
                                    time_offset=1)
    assert isinstance(loader.distribution, cebra.distributions.TimedeltaDistribution)
    assert hasattr(loader.distribution.generator, "manual_seed")
    assert hasattr(loader.distribution.prior.generator, "manual_seed")
    assert "index" in cebra.data.Batch.__slots__
    seed_loader(loader, 0)
    first = [batch.index.tolist() for batch in loader]
    seed_loader(loader, 0)
    assert first == [batch.index.tolist() for batch in loader] and len(first[0]) == 8


def test_cebra_configuration_matches_the_sklearn_estimator():
    """The published CEBRA configuration, as cebra.CEBRA itself assembles it."""
    estimator = cebra.CEBRA(model_architecture="offset1-model", criterion="infonce", distance="cosine",
                            temperature=1.0, conditional="time_delta", time_offsets=1, batch_size=512,
                            learning_rate=1e-4, output_dimension=3, max_iterations=10)
    criterion = estimator._prepare_criterion()
    assert type(criterion) is cebra.models.FixedCosineInfoNCE and criterion.temperature == 1.0
    from cebra.integrations.sklearn.dataset import SklearnDataset

    dataset = SklearnDataset(np.zeros((20, 4), np.float32), (np.zeros((20, 3), np.float32),))
    loader, solver_name = estimator._prepare_loader(dataset, max_iterations=10, is_multisession=False)
    assert type(loader) is cebra.data.ContinuousDataLoader and solver_name == "single-session"
    assert loader.conditional == "time_delta" and loader.time_offset == 1 and loader.batch_size == 512
