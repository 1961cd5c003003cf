"""labkit.cluster.metrics against scikit-learn and hand-computed values."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score

from labkit.cluster.metrics import adjusted_rand, inertia, scan_k, silhouette


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silhouette_matches_sklearn(seed):
    X, y = make_blobs(300, centers=3 + seed, random_state=seed)
    assert silhouette(X, y, sample_size=None) == pytest.approx(silhouette_score(X, y), abs=1e-9)
    y2 = y.copy()
    y2[:5] = 99  # a small extra cluster
    assert silhouette(torch.tensor(X), y2, sample_size=None) == pytest.approx(
        silhouette_score(X, y2), abs=1e-9
    )


def test_inertia_and_labels_by_hand():
    X = np.array([[0.0, 0], [2, 0], [10, 10]])
    assert inertia(X, [[1.0, 0], [10, 10]], [0, 0, 1]) == pytest.approx(2.0)
    assert adjusted_rand([2, 2, 0, 0], [0, 0, 1, 1]) == 1.0
    with pytest.raises(ValueError, match="labels must have shape"):
        inertia(X, [[0, 0]], [0, 0])
    with pytest.raises(ValueError, match="2 <= number of clusters"):
        silhouette(X, [0, 0, 0])


def test_scan_k_prefers_true_k():
    X, _ = make_blobs(600, centers=4, cluster_std=0.7, random_state=3)
    s = scan_k(X, [2, 3, 4, 5, 6], device="cpu")
    assert s["k"][int(np.argmax(s["silhouette"]))] == 4
    assert all(b < a for a, b in zip(s["inertia"], s["inertia"][1:]))
