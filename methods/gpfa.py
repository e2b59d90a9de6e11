"""GPFA (Yu et al. 2009; elephant's implementation): factor analysis whose latents are smooth in time,
each a Gaussian process with its own timescale, inferred per trial.

Input. elephant's ``GPFA.fit`` takes spike trains, bins them (``bin_size``, 20 ms by default) and takes the
square root of the counts. The NER release has no spike trains: its recordings are smoothed rates in
fixed bins. So the model is fitted with elephant's own core (``gpfa_core.fit``, the EM that ``GPFA.fit``
runs) on the recording's bins as they are (30 ms in the release, ``Recording.bin_size``), each value
square-rooted as elephant does with counts (``sqrt=true``; the rates are non-negative). GPFA on
smoothed rates is an approximation: the data already hold a temporal smoothing that the Gaussian
processes then model again, so fitted timescales are longer than those of spike counts. Neurons constant
over the training bins are left out, as elephant leaves out silent ones.

Embedding: the orthonormalised posterior mean of the latents (elephant's ``latent_variable_orth``), each
trial inferred from its own neural bins (a smoother: a bin's latent uses its whole trial, never its
behaviour).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from ner_bench import Method, NerBenchError, Recording


class GPFA(Method):
    name = "gpfa"
    description = ("GPFA (elephant): Gaussian-process factor analysis on the recording's bins (smoothed "
                   "rates, square-rooted), orthonormalised posterior mean per trial; 3-D")
    dependencies = ("elephant",)
    defaults = {"dim": 3, "em_max_iters": 500, "em_tol": 1e-8, "tau_init_ms": 100.0, "eps_init": 1e-3,
                "min_var_frac": 0.01, "sqrt": True}
    minimums = {"em_max_iters": 1, "em_tol": 0.0, "tau_init_ms": 1e-6, "eps_init": 1e-12, "min_var_frac": 0.0}
    budgets = {"quick": {"em_max_iters": 100}}  # the published 500 EM iterations: `paper`
    check_params = {"em_max_iters": 10}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "GPFA":
        from elephant.gpfa import gpfa_core

        p = self.params
        self.kept_ = train.neural.std(axis=0) > 0
        sequences = self._sequences(train)
        with contextlib.redirect_stdout(io.StringIO()):  # elephant prints its progress even when not verbose
            self.model_, self.fit_info_ = gpfa_core.fit(
                seqs_train=sequences, x_dim=p["dim"], bin_width=train.bin_size * 1000.0,
                min_var_frac=p["min_var_frac"], em_tol=p["em_tol"], em_max_iters=p["em_max_iters"],
                tau_init=p["tau_init_ms"], eps_init=p["eps_init"], freq_ll=5, verbose=False)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        from elephant.gpfa import gpfa_core

        sequences, _ = gpfa_core.exact_inference_with_ll(self._sequences(recording), self.model_, get_ll=False)
        _, sequences = gpfa_core.orthonormalize(self.model_, sequences)
        return np.concatenate([latent.T for latent in sequences["latent_variable_orth"]]).astype(np.float32)

    def training_summary(self) -> str:
        info = getattr(self, "fit_info_", None) or {}
        iterations = len(info.get("iteration_time", []) or [])
        return f"{iterations} of at most {self.params['em_max_iters']} EM iterations" if iterations else ""

    def _sequences(self, recording: Recording) -> np.ndarray:
        """elephant's trial records: per trial its number of bins ``T`` and ``y`` (neurons x bins)."""
        if recording.n_neurons != len(self.kept_):
            raise NerBenchError(f"method 'gpfa': recording {recording.id!r} has {recording.n_neurons} neurons, the "
                                f"model was fitted on {len(self.kept_)}")
        values = np.asarray(recording.neural, dtype=np.float64)[:, self.kept_]
        if self.params["sqrt"]:
            if values.min() < 0:
                raise NerBenchError(f"method 'gpfa': recording {recording.id!r} has negative neural values, which "
                                    "sqrt=true cannot take; pass gpfa[sqrt=false]")
            values = np.sqrt(values)
        trials = values.reshape(recording.n_trials, recording.trial_length, -1)
        records = np.empty(recording.n_trials, dtype=[("T", int), ("y", "O")])
        records["T"] = recording.trial_length
        for index, trial in enumerate(trials):
            records["y"][index] = np.ascontiguousarray(trial.T)
        return records
