"""labkit.cluster.KMeans against sklearn.cluster.KMeans (several seeds), the sklearn API, bad
input."""

import itertools

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

from labkit.cluster import (
    KMeans,
    assign_labels,
    kmeans_plusplus,
    lloyd_steps,
    update_centers,
)


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
    pot = lambda C: ((X[:, None] - np.asarray(C)[None]) ** 2).sum(-1).min(1).sum()
    lkp = np.mean([pot(kmeans_plusplus(X, 8, random_state=s)) for s in range(6)])
    skp = np.mean([pot(sk_kmeans_plusplus(X, 8, random_state=s)[0]) for s in range(6)])
    assert lkp == pytest.approx(skp, rel=0.25)


def test_seeded_runs_repeat_and_n_init_keeps_best():
    X, _ = data(0, centers=5)
    a = KMeans(5, init="random", random_state=3, device="cpu").fit(X)
    b = KMeans(5, init="random", random_state=3, device="cpu").fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    runs = [
        KMeans(5, init="random", n_init=1, random_state=s, device="cpu").fit(X).inertia_
        for s in range(4)
    ]
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
    assert all(
        b <= a + 1e-9 for a, b in itertools.pairwise(inertias)
    )  # Lloyd never increases inertia


def test_empty_cluster_is_relocated():
    X = np.array([[0.0, 0], [0.1, 0], [10, 0], [10.1, 0], [20, 0]])
    init = np.array([[0.0, 0], [100.0, 100], [10.0, 0]])  # centre 1 gets no point
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
    assert gs.best_params_["n_clusters"] == 6  # score = -inertia: more clusters, higher score
    assert list(make_pipeline(KMeans(3, device="cpu")).fit(X).get_feature_names_out()) == [
        "kmeans0",
        "kmeans1",
        "kmeans2",
    ]


def test_sklearn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(KMeans(n_clusters=2, device="cpu", random_state=0))


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([1.0, 2.0, 3.0]), "reshape"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (torch.tensor([1.0, 2.0]), "reshape"),
        (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "NaN"),
    ],
)
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


# --- the bounded (Hamerly) algorithm and the exact assignment it relies on ---------------------


def exact_nearest(X, C):
    """Reference: nearest centre in exact rational arithmetic, ties to the lower index."""
    from fractions import Fraction

    Cf = [[Fraction(float(v)) for v in c] for c in C]
    out = []
    for x in X:
        xf = [Fraction(float(v)) for v in x]
        d = [sum((a - b) ** 2 for a, b in zip(xf, c)) for c in Cf]
        out.append(min(range(len(C)), key=lambda j: (d[j], j)))
    return np.array(out)


def near_ties(seed, dtype, n_per=40, K=5, D=3, offset=1000.0):
    """Points on and a few ulps off the bisectors of pairs of centres, far from the origin (so the
    matmul form ||x||^2 - 2 x.c + ||c||^2 cancels badly), plus exact duplicates of the centres."""
    g = np.random.default_rng(seed)
    C = (g.normal(size=(K, D)) * 3 + offset).astype(dtype)
    eps = np.finfo(dtype).eps
    rows = []
    for _ in range(n_per):
        a, b = g.choice(K, 2, replace=False)
        mid = ((C[a].astype(np.float64) + C[b]) / 2).astype(dtype)
        for k in (-3, -1, 0, 1, 3):
            rows.append(
                (mid + (k * eps * offset) * (C[b] - C[a]) / np.abs(C[b] - C[a]).max()).astype(dtype)
            )
    X = np.concatenate([np.array(rows, dtype=dtype), C, C[:2]])
    return X, C


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_assignment_is_exact_on_near_ties(seed, dtype):
    X, C = near_ties(seed, dtype)
    want = exact_nearest(X, C)
    got = assign_labels(torch.from_numpy(X), torch.from_numpy(C)).numpy()
    np.testing.assert_array_equal(got, want)
    # the same labels whatever the chunking (MKL rounds a row differently in different batches)
    for chunk in (1, 7, 64):
        np.testing.assert_array_equal(
            assign_labels(torch.from_numpy(X), torch.from_numpy(C), chunk).numpy(), want
        )
    # a duplicated centre never wins: exact tie, the lower index takes the point
    C2 = np.concatenate([C, C[1:2]])
    np.testing.assert_array_equal(
        assign_labels(torch.from_numpy(X), torch.from_numpy(C2)).numpy(), want
    )


def tie_datasets(seed, dtype):
    """Data whose points keep falling on or near the boundaries between clusters during the fit."""
    g = np.random.default_rng(seed)
    grid = (
        np.stack(np.meshgrid(np.arange(16), np.arange(16)), -1).reshape(-1, 2) + 500.0
    )  # many exact ties
    grid = np.concatenate([grid, grid[g.choice(len(grid), 100)]])  # and duplicates
    half = g.normal(size=(300, 3)) * [2.0, 1.0, 1.0] + [3.0, 0, 0]
    mirror = np.concatenate([half, half * [-1, 1, 1], np.c_[np.zeros(80), g.normal(size=(80, 2))]])
    X, _ = make_blobs(600, n_features=6, centers=8, cluster_std=4.0, random_state=seed)
    return [grid.astype(dtype), (mirror + 300).astype(dtype), X.astype(dtype)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bounded_equals_plain_on_near_ties(seed, dtype):
    for i, X in enumerate(tie_datasets(seed, dtype)):
        for k in (3, 12):
            init = X[np.random.RandomState(seed + k).choice(len(X), k, replace=False)]
            kw = {"init": init, "device": "cpu", "tol": 0.0, "max_iter": 60}
            plain = KMeans(k, algorithm="lloyd", **kw).fit(X)
            for chunk, threads in ((None, None), (37, 3)):
                fast = KMeans(
                    k, algorithm="hamerly", chunk_size=chunk, n_threads=threads, **kw
                ).fit(X)
                where = f"dataset {i}, k={k}, chunk={chunk}"
                np.testing.assert_array_equal(fast.labels_, plain.labels_, err_msg=where)
                np.testing.assert_array_equal(
                    fast.cluster_centers_, plain.cluster_centers_, err_msg=where
                )
                assert fast.n_iter_ == plain.n_iter_, where
                assert fast.inertia_ == pytest.approx(plain.inertia_, rel=1e-12), (
                    where
                )  # float64 sum order
        np.testing.assert_array_equal(plain.labels_, exact_nearest(X, plain.cluster_centers_))


def test_algorithm_param_and_auto():
    X, _ = data(0, dtype=np.float32)
    C0 = X[:4]
    threads = torch.get_num_threads()
    labels = {
        a: KMeans(4, init=C0, algorithm=a, device="cpu", n_threads=t).fit(X).labels_
        for a, t in (("auto", None), ("lloyd", 1), ("hamerly", 3), ("elkan", 1))
    }
    assert torch.get_num_threads() == threads  # fit restores torch's setting
    for lab in labels.values():
        np.testing.assert_array_equal(lab, labels["lloyd"])
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(2, algorithm="full", device="cpu").fit(X)


# --- the fast CPU path: lazy Hamerly bounds, per-thread row ranges, float64 fixed-point sums ----


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bounded_matches_plain_and_sklearn_on_blobs(seed):
    """Overlapping blobs (many points change cluster): every algorithm and thread count gives the
    plain Lloyd's labels and centres bit for bit, and scikit-learn's labels and inertia."""
    X, _ = make_blobs(3000, n_features=8, centers=15, cluster_std=2.5, random_state=seed)
    C0 = X[np.random.RandomState(seed).choice(len(X), 12, replace=False)]
    sk = SKKMeans(12, init=C0, n_init=1, algorithm="lloyd").fit(X)
    plain = KMeans(12, init=C0, algorithm="lloyd", device="cpu", n_threads=1).fit(X)
    for algorithm, threads, chunk in (("hamerly", 1, None), ("hamerly", 2, 100), ("auto", 3, 7)):
        fast = KMeans(
            12, init=C0, algorithm=algorithm, device="cpu", n_threads=threads, chunk_size=chunk
        ).fit(X)
        where = f"{algorithm}, {threads} threads, chunk {chunk}"
        np.testing.assert_array_equal(fast.labels_, plain.labels_, err_msg=where)
        np.testing.assert_array_equal(fast.cluster_centers_, plain.cluster_centers_, err_msg=where)
        assert fast.n_iter_ == plain.n_iter_ == sk.n_iter_, where
    assert adjusted_rand_score(sk.labels_, plain.labels_) == 1.0
    assert plain.inertia_ == pytest.approx(sk.inertia_, rel=1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_cluster(algorithm, dtype):
    X, _ = data(0, n=301, d=3, dtype=dtype)
    km = KMeans(1, init=X[:1], algorithm=algorithm, device="cpu", n_threads=2).fit(X)
    sk = SKKMeans(1, init=X[:1], n_init=1).fit(X)
    assert (km.labels_ == 0).all()
    np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_, rtol=1e-6, atol=1e-6)
    assert km.inertia_ == pytest.approx(sk.inertia_, rel=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
def test_empty_clusters_bounded_equals_plain(threads):
    """Centres that get no point (far away, or duplicated) are relocated as in scikit-learn, and
    the bounded algorithm follows the plain one through the relocation."""
    X, _ = make_blobs(400, n_features=2, centers=3, cluster_std=0.5, random_state=0)
    init = np.concatenate([X[:3], [[100.0, 100.0], [-100.0, 50.0]], X[:1]])  # 3 empty centres
    fits = {
        a: KMeans(6, init=init, algorithm=a, device="cpu", n_threads=threads).fit(X)
        for a in ("lloyd", "hamerly")
    }
    sk = SKKMeans(6, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(fits["hamerly"].labels_, fits["lloyd"].labels_)
    np.testing.assert_array_equal(fits["hamerly"].cluster_centers_, fits["lloyd"].cluster_centers_)
    assert len(np.unique(fits["lloyd"].labels_)) == 6
    assert fits["lloyd"].inertia_ == pytest.approx(sk.inertia_, rel=1e-9)
    assert adjusted_rand_score(sk.labels_, fits["lloyd"].labels_) == 1.0


def test_duplicate_points_more_threads_than_rows():
    """Fewer rows than threads (empty row ranges) and duplicate points: every split agrees."""
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [5.0, 5.0]])
    ref = KMeans(2, init=X[[0, 3]], algorithm="lloyd", device="cpu", n_threads=1).fit(X)
    for threads, chunk in ((4, None), (8, 1), (2, 2)):
        km = KMeans(2, init=X[[0, 3]], device="cpu", n_threads=threads, chunk_size=chunk).fit(X)
        np.testing.assert_array_equal(km.labels_, ref.labels_)
        np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(ref.labels_, [0, 0, 0, 1, 1])


def test_fixed_point_sums_are_exact_in_any_order():
    """float64 sums of grid values do not depend on the order (what makes bounded == plain)."""
    from labkit.cluster.kmeans import _FixedSum

    g = np.random.default_rng(0)
    X = torch.from_numpy((g.standard_cauchy((5000, 4)) * 10).astype(np.float32))  # wide range
    fs = _FixedSum(X)
    q = fs.q(X)
    assert float(q.abs().sum(0).max()) < 2.0**52  # every partial sum is an exact float64 integer
    lab = torch.from_numpy(g.integers(0, 3, 5000))
    sums = torch.zeros(3, 4, dtype=torch.float64).index_add_(0, lab, q)
    for _ in range(3):
        p = torch.from_numpy(g.permutation(5000))
        again = torch.zeros(3, 4, dtype=torch.float64)
        for s in range(0, 5000, 777):  # in pieces, in another order, with removals
            idx = p[s : s + 777]
            again.index_add_(0, lab[idx], q[idx]).index_add_(0, (lab[idx] + 1) % 3, q[idx])
            again.index_add_(0, (lab[idx] + 1) % 3, -q[idx])
        assert torch.equal(again, sums)


def test_packed_top2():
    """The packed argmin: the nearest and second-nearest values within the stated relative error,
    ties to the lower index."""
    from labkit.cluster.kmeans import _top2

    g = torch.Generator().manual_seed(0)
    d = torch.rand(500, 32, generator=g) * 100
    d[:50, 7] = d[:50, 3]  # exact ties: index 3 wins
    d[50:60] = 0.0
    lab, v1, v2, r = _top2(d.clone())
    srt = d.double().sort(1).values
    assert r > 0
    for v, true in ((v1, srt[:, 0]), (v2, srt[:, 1])):  # index bits in the low mantissa bits
        assert torch.all((v - true).abs() <= r * true + 1e-40)  # (0 decodes as a subnormal)
    chosen = d.double().gather(1, lab.unsqueeze(1)).squeeze(1)
    assert torch.all(chosen * (1 - r) <= srt[:, 0] * (1 + r))
    assert torch.all(lab[:50][d[:50, 3] == d[:50].amin(1)] == 3)
    assert torch.all(lab[50:60] == 0)


def test_worker_threads_run_torch_single_threaded():
    """torch's thread setting is per thread for MKL and OpenMP: each worker sets it, or every
    matmul there would fork a team over all the cores (process CPU ~ 2x the worker's own CPU)."""
    import time

    from labkit.cluster._common import Workers

    A = torch.randn(400, 400, generator=torch.Generator().manual_seed(0))

    def work(_):
        torch.mm(A, A)
        t, p = time.thread_time(), time.process_time()
        for _ in range(40):
            torch.mm(A, A)
        return time.thread_time() - t, time.process_time() - p

    with Workers(2) as w:
        [(own, process)] = w.pool.map(work, [0])
    assert process < 1.5 * own + 0.02, f"worker CPU {own:.3f} s, process CPU {process:.3f} s"
