"""labkit.cluster.MeanShift against sklearn.cluster.MeanShift (several seeds), the fast grid path
against brute force, the sklearn API, bad input."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import MeanShift as SKMeanShift
from sklearn.cluster import estimate_bandwidth as sk_estimate_bandwidth
from sklearn.cluster import get_bin_seeds as sk_get_bin_seeds
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import labkit.cluster.meanshift as msm
from labkit.cluster import (
    MeanShift,
    estimate_bandwidth,
    get_bin_seeds,
    mean_shift_step,
    mean_shift_trajectories,
)


def blobs(seed, n=200, d=2, std=0.8):
    return make_blobs(n, n_features=d, centers=4, cluster_std=std, random_state=seed)[0]


def same_centres(a, b, tol):
    assert a.shape == b.shape
    d = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    assert d.min(1).max() < tol and d.min(0).max() < tol


@pytest.mark.parametrize("seed, d", [(0, 2), (1, 2), (2, 3), (3, 3)])
def test_same_as_sklearn(seed, d):
    X = blobs(seed, d=d)
    bw = sk_estimate_bandwidth(X, quantile=0.2, random_state=0)
    sk = SKMeanShift(bandwidth=bw).fit(X)
    lk = MeanShift(bandwidth=bw, device="cpu").fit(X)
    assert adjusted_rand_score(sk.labels_, lk.labels_) == 1.0
    same_centres(lk.cluster_centers_, sk.cluster_centers_, 1e-3 * bw)
    assert abs(lk.n_iter_ - sk.n_iter_) <= 1


def test_grid_path_equals_brute_force(monkeypatch):
    X = blobs(3, n=1500)
    bw = 1.2
    fast = MeanShift(bandwidth=bw, device="cpu").fit(X)
    monkeypatch.setattr(msm, "_GRID_MIN_PAIRS", 0)  # grid for every iteration
    grid = MeanShift(bandwidth=bw, device="cpu").fit(X)
    monkeypatch.setattr(msm, "_GRID_MIN_PAIRS", float("inf"))  # never the grid
    brute = MeanShift(bandwidth=bw, device="cpu").fit(X)
    for m in (fast, grid):
        assert adjusted_rand_score(brute.labels_, m.labels_) == 1.0
        same_centres(m.cluster_centers_, brute.cluster_centers_, 1e-3 * bw)


@pytest.mark.parametrize("seed", [0, 1])
def test_bin_seeding_and_cluster_all(seed):
    X = np.vstack([blobs(seed), [[40.0, 40.0]]])  # one far-away orphan
    bw = 2.0
    for kw in ({"bin_seeding": True, "min_bin_freq": 1 + seed}, {"cluster_all": False}):
        sk = SKMeanShift(bandwidth=bw, **kw).fit(X)
        lk = MeanShift(bandwidth=bw, device="cpu", **kw).fit(X)
        assert adjusted_rand_score(sk.labels_, lk.labels_) == 1.0, kw
        np.testing.assert_array_equal(sk.labels_ == -1, lk.labels_ == -1)
    np.testing.assert_allclose(
        np.sort(get_bin_seeds(X, 1.5, 2), 0), np.sort(sk_get_bin_seeds(X, 1.5, 2), 0)
    )


def test_explicit_seeds_and_predict():
    X = blobs(4)
    seeds = X[::20]
    sk = SKMeanShift(bandwidth=1.5, seeds=seeds).fit(X)
    lk = MeanShift(bandwidth=1.5, seeds=seeds, device="cpu").fit(X)
    assert adjusted_rand_score(sk.labels_, lk.labels_) == 1.0
    np.testing.assert_array_equal(lk.predict(X), lk.labels_)
    p = lk.predict(torch.tensor(X))
    assert isinstance(p, torch.Tensor)


def test_estimate_bandwidth_matches_sklearn():
    X = blobs(5, n=300)
    for q, ns in ((0.3, None), (0.1, None), (0.2, 300)):
        assert estimate_bandwidth(X, quantile=q, n_samples=ns) == pytest.approx(
            sk_estimate_bandwidth(X, quantile=q, n_samples=ns, random_state=0), rel=1e-9
        )
    lk = MeanShift(device="cpu").fit(X)  # bandwidth=None: estimated as sklearn
    sk = SKMeanShift().fit(X)
    assert adjusted_rand_score(sk.labels_, lk.labels_) == 1.0
    assert lk.bandwidth_ == pytest.approx(sk_estimate_bandwidth(X), rel=1e-9)


def test_step_and_trajectories_by_hand():
    X = np.array([[0.0, 0], [1, 0], [0, 1], [5, 5]])
    S = np.array([[0.2, 0.2], [5.0, 4.0], [20.0, 20.0]])
    new = mean_shift_step(X, S, bandwidth=1.5)
    np.testing.assert_allclose(new.numpy(), [[1 / 3, 1 / 3], [5, 5], [20, 20]])
    g = mean_shift_step(X, S[:1], bandwidth=1.0, kernel="gaussian").numpy()
    w = np.exp(-((X - S[0]) ** 2).sum(1) / 2)
    np.testing.assert_allclose(g[0], (w[:, None] * X).sum(0) / w.sum())
    traj = mean_shift_trajectories(X, S, 1.5, n_steps=3)
    assert traj.shape == (4, 3, 2)
    np.testing.assert_allclose(traj[-1, 1], [5, 5])


def test_gaussian_kernel_finds_the_blobs():
    X, y = make_blobs(300, centers=3, cluster_std=0.5, random_state=0)
    m = MeanShift(bandwidth=1.0, kernel="gaussian", device="cpu").fit(X)
    assert len(m.cluster_centers_) == 3
    assert adjusted_rand_score(y, m.labels_) > 0.95


def test_sklearn_api():
    X = blobs(0)
    ms = MeanShift(bandwidth=2.0, device="cpu")
    assert clone(ms).get_params() == ms.get_params()
    pipe = make_pipeline(StandardScaler(), MeanShift(bandwidth=0.5, device="cpu")).fit(X)
    assert pipe.predict(X).shape == (200,)
    gs = GridSearchCV(
        MeanShift(device="cpu"),
        {"bandwidth": [0.5, 2.0]},
        cv=2,
        scoring=lambda est, X, y=None: -len(est.cluster_centers_),
    ).fit(X)
    assert gs.best_params_["bandwidth"] == 2.0


def test_sklearn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(MeanShift(device="cpu"))


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([1.0, 2.0, 3.0]), "reshape"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (torch.tensor([[1.0, float("inf")], [0.0, 1.0]]), "infinity"),
    ],
)
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        MeanShift(bandwidth=1.0, device="cpu").fit(bad)


@pytest.mark.parametrize("bw", [0, -1.0, "wide"])
def test_bad_bandwidth(bw):
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        MeanShift(bandwidth=bw, device="cpu").fit(blobs(0))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    X = blobs(0, n=2000)
    a = MeanShift(bandwidth=1.5, device="cpu").fit(X)
    b = MeanShift(bandwidth=1.5, device="cuda").fit(torch.tensor(X, device="cuda"))
    assert adjusted_rand_score(a.labels_, b.labels_) > 0.99
