"""Lab 05 metrics: mode coverage on hand-made sample sets, Frechet distance vs scipy, judge
classifier."""

import numpy as np
import pytest
import torch

from labkit.data.mixtures import density_1d, mixture_modes, sample_1d, sample_mixture
from labkit.gan.metrics import (
    conditional_accuracy,
    frechet_distance,
    frechet_distance_features,
    frechet_from_stats,
    mode_coverage,
)


def test_ring_has_8_distinct_angles_and_grid_25_means():
    ring, std = mixture_modes("ring")
    assert ring.shape == (8, 2) and std == 0.01
    ang = np.sort(np.mod(np.arctan2(ring[:, 1], ring[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(ang), 2 * np.pi / 8, atol=1e-12)  # no duplicated endpoint
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0)
    grid, std = mixture_modes("grid")
    assert grid.shape == (25, 2) and std == 0.05
    assert sorted(set(grid[:, 0])) == [-4, -2, 0, 2, 4]
    with pytest.raises(ValueError, match="unknown mixture"):
        mixture_modes("spiral")


def test_true_samples_score_like_the_papers():
    # PacGAN reports 98.9 % high quality for true samples (3 std in 2-D: P(chi2_2 <= 9) = 98.89 %)
    for name, k in (("ring", 8), ("grid", 25)):
        r = mode_coverage(sample_mixture(name, 2500, seed=0), name)
        assert r["modes"] == k
        assert 0.98 <= r["hq"] <= 0.995


def test_mode_coverage_hand_made_sets():
    means, std = mixture_modes("ring")
    # exactly on 3 of the modes, 4 samples each, plus 4 samples far away (origin)
    x = np.concatenate([np.repeat(means[[0, 3, 5]], 4, axis=0), np.zeros((4, 2))])
    r = mode_coverage(x, "ring")
    assert r["modes"] == 3 and r["hq"] == pytest.approx(12 / 16)
    assert r["counts"].tolist() == [4, 0, 0, 4, 0, 4, 0, 0]
    # just inside / just outside 3 std of a mode
    inside = means[1] + np.array([0.0299, 0.0])
    outside = means[2] + np.array([0.0, 0.0301])
    r = mode_coverage(np.stack([inside, outside]), "ring")
    assert r["modes"] == 1 and r["hq"] == 0.5 and r["counts"][1] == 1
    # the grid's radius is 0.15; a custom mixture works too
    r = mode_coverage(np.array([[4.14, -4.0], [0.0, 1.0]]), "grid")
    assert r["modes"] == 1 and r["hq"] == 0.5
    r = mode_coverage(
        np.array([[0.0, 0.0], [10.0, 0.0]]), (np.array([[0.0, 0.0], [10.0, 0.0]]), 1.0)
    )
    assert r == {**r, "modes": 2, "hq": 1.0}


def test_mode_coverage_bad_input():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        mode_coverage(np.zeros((5, 3)), "ring")
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(np.full((5, 2), np.nan), "ring")


def test_frechet_matches_scipy_sqrtm():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    mu1, c1, mu2, c2 = a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2 * np.real(scipy_linalg.sqrtm(c1 @ c2)))
    assert frechet_distance_features(a, b) == pytest.approx(ref, rel=1e-6)
    assert frechet_distance_features(a, a) == pytest.approx(0, abs=1e-8)
    # 1-D closed form: (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_from_stats([0.0], [[4.0]], [1.0], [[1.0]]) == pytest.approx(1 + 1)
    with pytest.raises(ValueError, match="same D"):
        frechet_distance_features(a, b[:, :3])


def test_sample_1d_matches_density():
    x = sample_1d(20000, seed=0).numpy().ravel()
    hist, edges = np.histogram(x, bins=40, range=(-4, 5), density=True)
    mids = (edges[1:] + edges[:-1]) / 2
    assert np.abs(hist - density_1d(mids)).max() < 0.06


@pytest.fixture(scope="module")
def judge():
    from labkit.gan.judge import load_classifier

    return load_classifier()


@pytest.fixture(scope="module")
def mnist():
    from labkit.data import mnist_splits

    _, test = mnist_splits(seed=0)
    return test


def test_judge_classifier_is_accurate_and_cached(judge, mnist):
    from labkit.gan.judge import accuracy, train_classifier

    assert accuracy(judge, mnist.images, mnist.labels) > 0.93
    again = train_classifier(seed=0)  # from the cache: same weights
    for p, q in zip(judge.parameters(), again.parameters()):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        judge(torch.zeros(2, 3, 28, 28))


def test_frechet_distance_ranks_real_vs_noise(judge, mnist):
    real_a, real_b = mnist.images[:500], mnist.images[500:1000]
    blurred = torch.nn.functional.avg_pool2d(real_b, 3, 1, 1)
    noise = torch.rand(500, 1, 28, 28)
    d_same = frechet_distance(real_a, real_b, judge)
    d_blur = frechet_distance(real_a, blurred, judge)
    d_noise = frechet_distance(real_a, noise, judge)
    assert d_same < d_blur < d_noise
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        frechet_distance(real_a, real_b * 2 - 1, judge)


def test_conditional_accuracy(judge, mnist):
    x, y = mnist.images[:600], mnist.labels[:600]
    r = conditional_accuracy(x, y, judge)
    assert r["accuracy"] > 0.93 and set(r["per_label"]) == set(range(10))
    assert r["confusion"].sum() == 600
    wrong = conditional_accuracy(x, (y + 1) % 10, judge)
    assert wrong["accuracy"] < 0.1
    with pytest.raises(ValueError, match="labels must have shape"):
        conditional_accuracy(x, y[:5], judge)
