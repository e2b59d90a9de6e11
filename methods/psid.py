"""PSID (Sani et al. 2021, Nature Neuroscience; the ``PSID`` package): a linear state-space model of the
neural activity whose first latent states are identified to predict behaviour, here the hand velocity.

Fit: ``PSID.PSID`` on the training trials as separate segments (neural bins x neurons and velocity bins x 2
per trial), ``nx`` latent states of which the first ``n1`` are behaviourally relevant (default 3 and 3: all
three states are fitted for velocity, the stage PSID adds over plain subspace identification), horizon
``horizon`` bins. Embedding: the Kalman-filtered latent state of each bin from the neural activity alone
(every trial filtered from the model's stationary start, as the model was fitted on segments), so
behaviour is used only while fitting.
"""

from __future__ import annotations

import numpy as np

from ner_bench import Method, NerBenchError, Recording


class PSIDMethod(Method):
    name = "psid"
    description = ("PSID (preferential subspace identification): Kalman-filtered latent states of a linear "
                   "state-space model whose first states are fitted to predict velocity; 3-D")
    supervised = True
    dependencies = ("PSID",)
    defaults = {"dim": 3, "relevant_dims": 3, "horizon": 5}
    minimums = {"relevant_dims": 0, "horizon": 2}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "PSIDMethod":
        import PSID

        p = self.params
        if p["relevant_dims"] > p["dim"]:
            raise NerBenchError(f"method 'psid': relevant_dims={p['relevant_dims']} exceeds dim={p['dim']}")
        if train.trial_length <= 2 * p["horizon"]:
            raise NerBenchError(f"method 'psid': horizon={p['horizon']} needs trials longer than {2 * p['horizon']} "
                                f"bins; recording {train.id!r} has {train.trial_length}")
        self.model_ = PSID.PSID(_trials(train.neural, train), _trials(train.velocity, train), nx=p["dim"],
                                n1=p["relevant_dims"], i=p["horizon"])
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        _, _, states = self.model_.predict(_trials(recording.neural, recording), useXFilt=True)
        return np.concatenate(states).astype(np.float32)


def _trials(values: np.ndarray, recording: Recording) -> list[np.ndarray]:
    """One (trial_length, columns) float64 array per trial, in the recording's (trial-major) order."""
    return list(np.asarray(values, dtype=np.float64).reshape(recording.n_trials, recording.trial_length, -1))
