"""An exact nearest-label search for cebra's ``time_delta`` positives on the CPU, on a k-d tree.

cebra's ``ContinuousIndex`` finds a query's nearest training label by a brute-force float32 distance
matrix (N training bins x batch) and ``argmin``: most of a CEBRA or NER training step on a CPU. The tree
answers the same question (the training bin whose label is nearest to the query in Euclidean distance,
the lowest index among exact ties, as ``argmin``) in float64 without the matrix. Both search the same
labels for the same queries drawn by cebra's own generators, so the positives are cebra's wherever its
float32 expansion ``|x|^2 + |q|^2 - 2 x.q`` does not misorder two candidates closer than its rounding.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree


class NearestLabelIndex:
    """``search(query)``: for each row of ``query`` the index of the nearest of ``labels`` (lowest on ties)."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = np.asarray(labels, dtype=np.float64)
        # one tree point per distinct label, standing for its first bin, so that duplicates tie to the lowest
        distinct, first = np.unique(self.labels, axis=0, return_index=True)
        self.first_bin = first
        self.tree = cKDTree(distinct)

    def search(self, query: torch.Tensor) -> torch.Tensor:
        points = query.detach().cpu().numpy().astype(np.float64)
        count = min(2, len(self.first_bin))
        distance, nearest = self.tree.query(points, k=count)
        if count == 1:
            return torch.from_numpy(self.first_bin[nearest].astype(np.int64)).to(query.device)
        found = self.first_bin[nearest[:, 0]]
        for row in np.flatnonzero(distance[:, 0] == distance[:, 1]):  # equidistant labels: rare, by brute force
            found[row] = int(np.argmin(((self.labels - points[row]) ** 2).sum(axis=1)))
        return torch.from_numpy(found.astype(np.int64)).to(query.device)
