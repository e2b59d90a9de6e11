"""piVAE: the network's pieces (posterior product, KL, GIN flow), windows, training and the Method contract."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.builtins.methods._pivae_model import (AffineCoupling, ConvPiVAE, GINBlock, GINDecoder,
                                                     gaussian_kl, gaussian_product)
from ner_bench.builtins.methods._pivae_training import mean_loss, validation_trials, window_rows, Batches
from ner_bench.builtins.methods.pivae import PiVAE, PiVAEPosterior
from ner_bench.plugins import discover

TINY = {"epochs": 3, "batch_size": 32}


@pytest.fixture(scope="module")
def recording():
    rec = make_recording(n_trials=16, trial_length=12, n_neurons=5, seed=1)
    return rec.replace(neural=np.abs(rec.neural))  # Poisson observations: non-negative rates


@pytest.fixture(scope="module")
def fitted(recording):
    train = chronological_split(recording).train(recording)
    return PiVAE(**TINY).fit(train, seed=0)


# ------------------------------------------------------------------------------------------ the network
def test_posterior_is_the_normalised_product_of_the_gaussians():
    mean, log_var = gaussian_product(torch.tensor([0.0, 1.0]), torch.log(torch.tensor([1.0, 4.0])),
                                     torch.tensor([2.0, -1.0]), torch.log(torch.tensor([1.0, 1.0])))
    # equal variances: the mean halfway, variance halved; variances 4 and 1: precision-weighted
    assert torch.allclose(mean, torch.tensor([1.0, (1.0 * 1 + -1.0 * 4) / 5]))
    assert torch.allclose(torch.exp(log_var), torch.tensor([0.5, 4.0 / 5]))


def test_kl_of_identical_gaussians_is_zero_and_matches_torch_otherwise():
    mean, log_var = torch.randn(4, 3), torch.randn(4, 3)
    assert torch.allclose(gaussian_kl(mean, log_var, mean, log_var), torch.zeros(4), atol=1e-6)
    other_mean, other_log_var = torch.randn(4, 3), torch.randn(4, 3)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * log_var))
    p = torch.distributions.Normal(other_mean, torch.exp(0.5 * other_log_var))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    assert torch.allclose(gaussian_kl(mean, log_var, other_mean, other_log_var), expected, atol=1e-5)


@pytest.mark.parametrize("dim", [8, 9])
def test_coupling_layer_is_volume_preserving_and_invertible(dim):
    torch.manual_seed(0)
    layer = AffineCoupling(dim)
    for p in layer.parameters():  # large weights so that the scales are far from 0
        torch.nn.init.normal_(p, std=2.0)
    x = torch.randn(dim, dtype=torch.float64)
    layer = layer.double()
    log_scale, _ = layer.scale_shift(x[: layer.split])
    assert log_scale.abs().max() > 0.01
    jacobian = torch.autograd.functional.jacobian(layer, x)
    assert torch.linalg.slogdet(jacobian).logabsdet.abs() < 1e-10
    assert torch.allclose(layer.inverse(layer(x)), x)


def test_gin_block_permutes_then_couples_and_inverts():
    torch.manual_seed(0)
    block = GINBlock(10, index=1).double()
    x = torch.randn(5, 10, dtype=torch.float64)
    assert torch.allclose(block.inverse(block(x)), x)
    assert torch.equal(block.permutation, torch.as_tensor(np.random.RandomState(1).permutation(10)))
    jacobian = torch.autograd.functional.jacobian(block, x[0])
    assert torch.linalg.slogdet(jacobian).logabsdet.abs() < 1e-10


def test_decoder_gives_positive_rates_for_the_whole_window():
    rates = GINDecoder(dim_z=3, n_neurons=4, window=10)(torch.randn(7, 3))
    assert rates.shape == (7, 10, 4) and (rates > 0).all()


@pytest.mark.parametrize("encoder", ["conv", "mlp"])
def test_encoder_reads_a_ten_bin_window(encoder):
    model = ConvPiVAE(n_neurons=4, dim_u=3, dim_z=2, encoder=encoder)
    mean, log_var = model.encode(torch.rand(6, 10, 4))
    assert mean.shape == log_var.shape == (6, 2)
    loss = model.loss(torch.rand(6, 10, 4), torch.randn(6, 3), torch.randn(6, 2))
    assert loss.ndim == 0 and torch.isfinite(loss)


# ------------------------------------------------------------------------------------------ windows, validation
def test_windows_stay_inside_their_trial(recording):
    rows = window_rows(recording, 10, "replicate")
    assert rows.shape == (recording.n_bins, 10)
    assert (recording.trial[rows] == recording.trial[:, None]).all()
    assert list(rows[0]) == [0] * 6 + [1, 2, 3, 4]  # t-5..t+4 at the trial start: first bin repeated
    assert list(rows[18]) == list(range(13, 23))  # inside the second trial (bins 12..23): unchanged
    assert list(rows[20])[-2:] == [23, 23]  # its end replicated, never the next trial
    clipped = window_rows(recording, 10, "clip")
    assert (recording.trial[clipped] == recording.trial[:, None]).all()
    assert list(clipped[0]) == list(clipped[5]) == list(range(0, 10))


def test_validation_part_is_the_last_whole_training_trials(recording):
    train = chronological_split(recording).train(recording)  # 12 of 16 trials
    assert list(validation_trials(train, 0.25)) == list(train.trial_ids[-3:])
    with pytest.raises(NerBenchError, match="valid_fraction"):
        validation_trials(train, 1.5)


def test_batches_are_the_published_contiguous_chunks(recording):
    batches = Batches.of(recording, 10, "replicate", batch_size=50, device=torch.device("cpu"))
    sizes = [end - start for start, end in batches.bounds]
    assert len(sizes) == recording.n_bins // 50 and sum(sizes) == recording.n_bins
    assert batches.bounds[0][0] == 0 and all(a[1] == b[0] for a, b in zip(batches.bounds, batches.bounds[1:]))


# ------------------------------------------------------------------------------------------ the Method
def test_pivae_is_registered_with_its_leaky_variant_kept_out_of_all():
    methods = discover().methods
    assert methods["pivae"] is PiVAE and methods["pivae"].in_all and methods["pivae"].supervised
    assert not methods["pivae-posterior"].in_all and "labels" in methods["pivae-posterior"].description


def test_budgets_follow_the_published_training():
    paper = PiVAE(budget="paper").params
    assert (paper["epochs"], paper["lr"], paper["batch_size"], paper["dim"], paper["window"]) == (50, 2.5e-4, 200, 3, 10)
    assert PiVAE(budget="quick").params["epochs"] < paper["epochs"]


def test_transform_gives_finite_embeddings_of_every_bin(fitted, recording):
    values = fitted.transform(recording)
    assert values.shape == (recording.n_bins, 3) and values.dtype == np.float32 and np.isfinite(values).all()


def test_transform_ignores_behaviour(fitted, recording):
    assert np.array_equal(fitted.transform(recording), fitted.transform(recording.without_behavior()))


def test_posterior_variant_reads_labels_at_transform(recording):
    train = chronological_split(recording).train(recording)
    variant = PiVAEPosterior(**TINY).fit(train, seed=0)
    assert not np.array_equal(variant.transform(recording), variant.transform(recording.without_behavior()))
    # same training as pivae: the label-free encoder is the same network
    plain = PiVAE(**TINY).fit(train, seed=0)
    assert np.array_equal(plain.transform(recording), variant._embed(recording, labels=None))


def test_same_seed_same_embedding_other_seed_other(fitted, recording):
    train = chronological_split(recording).train(recording)
    assert np.array_equal(PiVAE(**TINY).fit(train, seed=0).transform(recording), fitted.transform(recording))
    assert not np.allclose(PiVAE(**TINY).fit(train, seed=1).transform(recording), fitted.transform(recording))


def test_returned_model_is_the_best_validation_checkpoint(recording):
    train = chronological_split(recording).train(recording)
    method = PiVAE(epochs=6, batch_size=32, lr=0.05).fit(train, seed=0)  # too large a lr: it diverges
    history = method.training_
    assert len(history.valid_loss) == 6 and history.best_epoch == int(np.nanargmin(history.valid_loss))
    assert history.best_epoch < 5  # the last epoch is not the best one: the checkpoint matters here
    held = validation_trials(train, 0.25)
    valid = Batches.of(train.select_trials(held), 10, "replicate", 32, torch.device("cpu"))
    assert mean_loss(method.model_, valid, history.valid_noise) == pytest.approx(np.nanmin(history.valid_loss), rel=1e-6)


def test_validation_trials_are_never_trained_on(recording, monkeypatch):
    train = chronological_split(recording).train(recording)
    seen = []
    import ner_bench.builtins.methods._pivae_training as training
    original = training.Batches.of.__func__
    monkeypatch.setattr(training.Batches, "of", classmethod(
        lambda cls, rec, *a, **k: seen.append(set(rec.trial_ids.tolist())) or original(cls, rec, *a, **k)))
    PiVAE(**TINY).fit(train, seed=0)
    fit_trials, valid_trials = seen
    assert not fit_trials & valid_trials and fit_trials | valid_trials == set(train.trial_ids.tolist())
    assert max(fit_trials) < min(valid_trials)


def test_wrong_neuron_count_and_unusable_device_are_clear_errors(fitted, recording):
    with pytest.raises(NerBenchError, match="5"):
        fitted.transform(make_recording(n_neurons=7))
    if not torch.cuda.is_available():
        with pytest.raises(NerBenchError, match="--device"):
            PiVAE(**TINY).fit(recording, seed=0, device="cuda")


@pytest.mark.parametrize("params, culprit", [
    ({"encoder": "lstm"}, "'encoder'"), ({"window": 8}, "'window'"), ({"window_edges": "wrap"}, "'window_edges'"),
    ({"epochs": 0}, "'epochs'"), ({"lr": -1.0}, "'lr'"),
])
def test_bad_parameters_are_clear_errors(recording, params, culprit):
    with pytest.raises(NerBenchError, match=culprit):
        PiVAE(**{**TINY, **params}).fit(recording, seed=0)


def test_mlp_encoder_takes_other_windows(recording):
    train = chronological_split(recording).train(recording)
    values = PiVAE(epochs=1, batch_size=32, encoder="mlp", window=4).fit(train, seed=0).transform(recording)
    assert values.shape == (recording.n_bins, 3) and np.isfinite(values).all()


def test_cpu_threads_are_limited_during_fit_and_restored(recording, monkeypatch):
    import ner_bench.builtins.methods._pivae_training as training
    seen, before = [], torch.get_num_threads()
    original = training.ConvPiVAE.loss
    monkeypatch.setattr(training.ConvPiVAE, "loss",
                        lambda self, *a: seen.append(torch.get_num_threads()) or original(self, *a))
    PiVAE(**TINY, cpu_threads=1).fit(chronological_split(recording).train(recording), seed=0)
    assert set(seen) == {1} and torch.get_num_threads() == before
