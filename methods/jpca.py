"""jPCA (Churchland et al. 2012, Nature): the plane in which population activity rotates most.

No maintained package exists, so it is written here on top of PCA, as the paper describes:

1. the training trials averaged per direction (directions x time bins, as ``pca-avg``; so the method is
   supervised: the averages are grouped by direction labels), centred by the training mean;
2. PCA of those averages to ``pcs`` (6) dimensions, X;
3. the skew-symmetric M that best fits dX/dt = X M (least squares over every direction's consecutive bins,
   dX/dt as the difference of consecutive bins): a linear dynamical system with purely rotational
   dynamics, its eigenvalues pairs +-i w;
4. the jPCA plane: the real and imaginary parts of the eigenvector of M with the fastest rotation |w|,
   orthonormalised;
5. a third axis, so that the embedding is 3-D like the others: within the PCA space, the direction of most
   variance of X orthogonal to that plane (stated choice; jPCA itself gives planes).

Every bin is then embedded as ``(x - training mean) @ PCA axes @ [plane, third axis]``. Two departures from
the paper, both because ``transform`` sees neural activity only: the cross-condition mean is not
subtracted (it would need each bin's time in the trial) and the neurons are not soft-normalised (the
release's data are smoothed rates of unknown scale; as for ``pca-avg``).
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA as SklearnPCA

from ner_bench import Method, NerBenchError, Recording
from ner_bench.trajectories import direction_averages


class JPCA(Method):
    name = "jpca"
    description = ("jPCA (Churchland et al. 2012): the fastest rotation plane of the skew-symmetric fit of "
                   "dX/dt = XM on the top-6 PCs of direction-averaged training trials, plus the most-variance "
                   "axis orthogonal to it; 3-D")
    supervised = True  # the averages are grouped by direction labels
    needs_trials = True
    defaults = {"pcs": 6}
    minimums = {"pcs": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "JPCA":
        pcs = self.params["pcs"]
        averages = np.stack(list(direction_averages(train.neural, train).values()))  # directions x time x neurons
        if pcs > min(train.n_neurons, averages.shape[0] * averages.shape[1]):
            raise NerBenchError(f"method 'jpca': pcs={pcs} exceeds what recording {train.id!r} allows "
                                f"({train.n_neurons} neurons, {averages.shape[0] * averages.shape[1]} averaged bins)")
        self.mean_ = train.neural.mean(axis=0)
        pca = SklearnPCA(n_components=pcs, random_state=seed).fit(averages.reshape(-1, train.n_neurons) - self.mean_)
        states = (averages - self.mean_) @ pca.components_.T  # directions x time x pcs
        self.dynamics_ = skew_symmetric_fit(states[:, :-1].reshape(-1, pcs), np.diff(states, axis=1).reshape(-1, pcs))
        plane, self.rotation_speed_ = rotation_plane(self.dynamics_)
        self.axes_ = pca.components_.T @ with_third_axis(plane, states.reshape(-1, pcs))
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return (recording.neural - self.mean_) @ self.axes_


def skew_symmetric_fit(states: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """The skew-symmetric M minimising ||changes - states @ M|| (Frobenius): linear least squares over
    the d(d-1)/2 free entries of M."""
    dim = states.shape[1]
    upper = list(zip(*np.triu_indices(dim, k=1)))
    columns = []
    for i, j in upper:
        basis = np.zeros((dim, dim))
        basis[i, j], basis[j, i] = 1.0, -1.0
        columns.append((states @ basis).ravel())
    entries, *_ = np.linalg.lstsq(np.column_stack(columns), changes.ravel(), rcond=None)
    dynamics = np.zeros((dim, dim))
    for (i, j), value in zip(upper, entries):
        dynamics[i, j], dynamics[j, i] = value, -value
    return dynamics


def rotation_plane(dynamics: np.ndarray) -> tuple[np.ndarray, float]:
    """The orthonormal (dim, 2) basis of the plane of the fastest rotation of a skew-symmetric matrix, and
    its angular speed (radians per bin)."""
    values, vectors = np.linalg.eig(dynamics)
    fastest = int(np.argmax(values.imag))
    plane, _ = np.linalg.qr(np.column_stack([vectors[:, fastest].real, vectors[:, fastest].imag]))
    return plane, float(values[fastest].imag)


def with_third_axis(plane: np.ndarray, states: np.ndarray) -> np.ndarray:
    """``plane`` plus the direction of most variance of ``states`` orthogonal to it: (dim, 3)."""
    residual = states - states @ plane @ plane.T
    residual = residual - residual.mean(axis=0)
    _, _, rows = np.linalg.svd(residual, full_matrices=False)
    third = rows[0] - plane @ (plane.T @ rows[0])
    return np.column_stack([plane, third / np.linalg.norm(third)])
