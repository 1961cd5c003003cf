"""labkit.cluster.KMeans against sklearn.cluster.KMeans (several seeds), the sklearn API, bad input."""
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from labkit.cluster import KMeans, assign_labels, kmeans_plusplus, lloyd_steps, update_centers


def data(seed, n=600, d=2, centers=4, dtype=np.float64):
    X, y = make_blobs(n, n_features=d, centers=centers, cluster_std=1.5, random_state=seed)
    return X.astype(dtype), y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_as_sklearn_with_same_init(seed, dtype):
    X, _ = data(seed, d=5, centers=6, dtype=dtype)
    C0 = X[np.random.RandomState(seed).choice(len(X), 6, replace=False)]
    sk = SKKMeans(6, init=C0, n_init=1, algorithm="lloyd").fit(X)
    lk = KMeans(6, init=C0, device="cpu").fit(X)
    assert adjusted_rand_score(sk.labels_, lk.labels_) == 1.0
    np.testing.assert_allclose(lk.cluster_centers_, sk.cluster_centers_, rtol=1e-4, atol=1e-4)
    assert lk.inertia_ == pytest.approx(sk.inertia_, rel=1e-5)
    assert lk.n_iter_ == sk.n_iter_
    assert lk.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("seed", [0])
def test_kmeanspp_quality_close_to_sklearn(seed):
    X, _ = data(seed, n=500, centers=8)
    lk = np.mean([KMeans(8, random_state=s, device="cpu").fit(X).inertia_ for s in range(3)])
    sk = np.mean([SKKMeans(8, random_state=s, n_init=1).fit(X).inertia_ for s in range(3)])
    assert lk <= 1.1 * sk
    # k-means++ seeding itself: same potential as sklearn's on average
    pot = lambda C: ((X[:, None] - np.asarray(C)[None]) ** 2).sum(-1).min(1).sum()  # noqa: E731
    lkp = np.mean([pot(kmeans_plusplus(X, 8, random_state=s)) for s in range(6)])
    skp = np.mean([pot(sk_kmeans_plusplus(X, 8, random_state=s)[0]) for s in range(6)])
    assert lkp == pytest.approx(skp, rel=0.25)


def test_seeded_runs_repeat_and_n_init_keeps_best():
    X, _ = data(0, centers=5)
    a = KMeans(5, init="random", random_state=3, device="cpu").fit(X)
    b = KMeans(5, init="random", random_state=3, device="cpu").fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    runs = [KMeans(5, init="random", n_init=1, random_state=s, device="cpu").fit(X).inertia_ for s in range(4)]
    best = KMeans(5, init="random", n_init=6, random_state=0, device="cpu").fit(X).inertia_
    assert best <= max(runs) + 1e-9


def test_steps_and_functions():
    X, _ = data(1)
    Xt = torch.tensor(X)
    C = Xt[:4].clone()
    lab = assign_labels(Xt, C)
    ref = torch.cdist(Xt, C).argmin(1)
    assert torch.equal(lab, ref)
    newC = update_centers(Xt, lab, 4)
    for k in range(4):
        assert torch.allclose(newC[k], Xt[lab == k].mean(0))
    hist = lloyd_steps(X, X[:4], n_steps=5)
    assert len(hist) == 6 and hist[0][0].shape == (4, 2) and hist[0][1].shape == (600,)
    inertias = [((X - c[l]) ** 2).sum() for c, l in hist]
    assert all(b <= a + 1e-9 for a, b in zip(inertias, inertias[1:]))   # Lloyd never increases inertia


def test_empty_cluster_is_relocated():
    X = np.array([[0.0, 0], [0.1, 0], [10, 0], [10.1, 0], [20, 0]])
    init = np.array([[0.0, 0], [100.0, 100], [10.0, 0]])             # centre 1 gets no point
    lk = KMeans(3, init=init, device="cpu").fit(X)
    sk = SKKMeans(3, init=init, n_init=1).fit(X)
    assert len(np.unique(lk.labels_)) == 3
    assert lk.inertia_ == pytest.approx(sk.inertia_)


def test_torch_input_output_and_predict_transform():
    X, _ = data(2)
    km = KMeans(4, random_state=0, device="cpu").fit(torch.tensor(X, dtype=torch.float32))
    p = km.predict(torch.tensor(X, dtype=torch.float32))
    assert isinstance(p, torch.Tensor) and p.shape == (600,)
    np.testing.assert_array_equal(p.numpy(), km.labels_)
    T = km.transform(X)
    assert T.shape == (600, 4)
    np.testing.assert_array_equal(T.argmin(1), km.predict(X))
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-4)
    assert isinstance(km.fit_predict(X), np.ndarray)


def test_sklearn_api_clone_pipeline_gridsearch():
    X, _ = data(0)
    km = KMeans(3, random_state=0, device="cpu")
    assert clone(km).get_params() == km.get_params()
    assert km.set_params(n_clusters=4).n_clusters == 4
    pipe = make_pipeline(StandardScaler(), KMeans(4, random_state=0, device="cpu")).fit(X)
    assert pipe.predict(X).shape == (600,)
    gs = GridSearchCV(KMeans(random_state=0, device="cpu"), {"n_clusters": [2, 4, 6]}, cv=3).fit(X)
    assert gs.best_params_["n_clusters"] == 6            # score = -inertia: more clusters, higher score
    assert list(make_pipeline(KMeans(3, device="cpu")).fit(X).get_feature_names_out()) == \
        ["kmeans0", "kmeans1", "kmeans2"]


def test_sklearn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator
    check_estimator(KMeans(n_clusters=2, device="cpu", random_state=0))


@pytest.mark.parametrize("bad, match", [
    (np.array([1.0, 2.0, 3.0]), "reshape"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
    (torch.tensor([1.0, 2.0]), "reshape"),
    (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "NaN"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        KMeans(1, device="cpu").fit(bad)


def test_bad_params():
    X, _ = data(0, n=5)
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(8, device="cpu").fit(X)
    with pytest.raises(ValueError, match="init"):
        KMeans(2, init="kmeans", device="cpu").fit(X)
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        KMeans(2, init=np.zeros((3, 2)), device="cpu").fit(X)
    with pytest.raises(ValueError, match="2 features"):
        KMeans(2, device="cpu").fit(X).predict(np.zeros((3, 3)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    X, _ = data(0, n=5000, d=8, centers=6, dtype=np.float32)
    C0 = X[:6]
    a = KMeans(6, init=C0, device="cpu").fit(X)
    b = KMeans(6, init=C0, device="cuda").fit(torch.tensor(X, device="cuda"))
    assert b.inertia_ == pytest.approx(a.inertia_, rel=1e-4)
    assert adjusted_rand_score(a.labels_, b.labels_) > 0.999
