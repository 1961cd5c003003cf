"""labkit.vae.metrics against scikit-learn and hand-computed values."""

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from labkit.density.models import auroc, roc_curve
from labkit.vae.metrics import (
    attribute_correlation,
    balanced_few_labels,
    compare_probes,
    corrupt,
    encode_all,
    image_attributes,
    kl_per_dim,
    latent_gap_points,
    probe_accuracy,
    recon_errors,
    reconstruct_all,
)
from labkit.vae.models import AE, VAE


@pytest.mark.parametrize("seed, ties", [(0, False), (1, True), (2, True)])
def test_auroc_and_roc_match_sklearn(seed, ties):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    s = rng.normal(size=300) + y
    if ties:
        s = np.round(s, 1)
    assert auroc(s, y) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    fpr, tpr = roc_curve(s, y)
    f2, t2, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, f2)
    np.testing.assert_allclose(tpr, t2)
    assert (
        np.trapezoid(tpr, fpr) == pytest.approx(auroc(s, y)) if hasattr(np, "trapezoid") else True
    )


def test_auroc_hand_values_and_bad_input():
    assert auroc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auroc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auroc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
    with pytest.raises(ValueError, match="both classes"):
        auroc([1, 2], [1, 1])
    with pytest.raises(ValueError, match="0 \\(negative, e.g. normal\\) or 1"):
        auroc([1, 2], [0, 2])
    with pytest.raises(ValueError, match="NaN"):
        auroc([np.nan, 2], [0, 1])
    with pytest.raises(ValueError, match="same length"):
        roc_curve([1, 2, 3], [0, 1])


def test_corrupt_kinds():
    x = torch.zeros(5, 1, 28, 28)
    n = corrupt(x, "noise", 0.5, seed=0)
    assert n.min() >= 0 and n.max() <= 1 and n.mean() > 0.1
    torch.testing.assert_close(n, corrupt(x, "noise", 0.5, seed=0))  # seeded
    p = corrupt(x, "patch", 0.25, seed=0)
    assert (p.flatten(1).sum(1) == 49).all()  # a 7x7 white patch each
    torch.testing.assert_close(corrupt(x, "invert", 1.0), torch.ones_like(x))
    with pytest.raises(ValueError, match="kind"):
        corrupt(x, "blur")


def test_balanced_few_labels_and_probe():
    y = np.repeat(np.arange(10), 50)
    idx = balanced_few_labels(y, 100, seed=0)
    assert len(idx) == len(set(idx)) == 100
    assert np.bincount(y[idx]).tolist() == [10] * 10
    assert len(balanced_few_labels(y, 25)) == 25
    # probe: linearly separable features -> perfect accuracy
    X = np.eye(10)[y] * 5 + np.random.default_rng(0).normal(size=(500, 10)) * 0.1
    assert probe_accuracy(X[idx], y[idx], X, y) == 1.0


def _mnist_like(n=200, seed=0):
    # small blobs at 4 positions: a stand-in dataset with labels
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = torch.zeros(n, 1, 28, 28)
    for i, c in enumerate(y.tolist()):
        r, col = 4 + 12 * (c // 2), 4 + 12 * (c % 2)
        x[i, 0, r : r + 8, col : col + 8] = 1
    return (x + 0.1 * torch.rand(n, 1, 28, 28, generator=g)).clamp(0, 1), y


def test_encode_reconstruct_errors_and_probes():
    from types import SimpleNamespace

    torch.manual_seed(0)
    m = AE(latent_dim=3, width=4, hidden=16)
    x, y = _mnist_like()
    z = encode_all(m, x, batch_size=64)
    assert z.shape == (200, 3)
    rec = reconstruct_all(m, x, batch_size=64)
    torch.testing.assert_close(recon_errors(m, x), (rec - x).pow(2).flatten(1).sum(1))
    assert recon_errors(m, x, "bce").shape == (200,)
    with pytest.raises(ValueError):
        recon_errors(m, x, "l1")
    tr, te = (
        SimpleNamespace(images=x[:150], labels=y[:150]),
        SimpleNamespace(images=x[150:], labels=y[150:]),
    )
    res = compare_probes(m, tr, te, n_labels=20)
    assert set(res) >= {"encoder", "pixels", "pca"} and res["pixels"] == 1.0


def test_latent_gap_points_finds_the_hole():
    # codes on a ring: the centre is inside the hull and far from every code
    t = torch.linspace(0, 2 * np.pi, 400)
    codes = torch.stack([torch.cos(t), torch.sin(t)], 1) * 3
    grid, dist, gap, thr = latent_gap_points(codes, n_grid=21)
    assert gap.any()
    centre = grid[gap].norm(dim=1).min()
    assert centre < 1.0  # the centre of the ring is a gap
    assert (grid[gap].norm(dim=1) < 3).all()  # nothing outside the ring
    with pytest.raises(ValueError, match="2-D"):
        latent_gap_points(torch.zeros(50, 3))


def test_image_attributes_and_correlation():
    x = torch.zeros(3, 1, 28, 28)
    x[0, 0, 10:18, 12:16] = 1  # narrow
    x[1, 0, 10:18, 8:20] = 1  # wide
    for r in range(20):  # a right-leaning stroke "/": top to the right
        x[2, 0, 4 + r, 18 - r // 2] = 1
    a = image_attributes(x)
    assert a["width"][1] > a["width"][0]
    assert a["ink"][1] > a["ink"][0]
    assert a["slant"][2] > 0.3 and abs(a["slant"][0]) < 1e-9
    codes = np.stack([a["width"], -a["ink"]], 1)
    corr, names = attribute_correlation(codes, a)
    assert corr.shape == (2, 4) and names == ["ink", "width", "height", "slant"]
    assert corr[0, 1] == pytest.approx(1.0) and corr[1, 0] == pytest.approx(1.0)


def test_kl_per_dim_sums_to_total_kl():
    from labkit.vae.losses import evaluate_elbo

    torch.manual_seed(0)
    m = VAE(latent_dim=4, width=4, hidden=16)
    x, _ = _mnist_like(50)
    kd = kl_per_dim(m, x, batch_size=16)
    assert kd.shape == (4,) and (kd >= 0).all()
    assert kd.sum() == pytest.approx(evaluate_elbo(m, x)["kl"], rel=1e-4)


def test_gap_profile_is_about_one_in_the_data_and_large_in_a_gap():
    from labkit.vae.metrics import gap_profile

    rng = np.random.default_rng(0)
    codes = np.r_[
        rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + [12, 0]
    ]  # two clusters, a gap
    prof = gap_profile(torch.tensor([[0.0, 0.0], [6.0, 0.0]]), codes)
    assert 0.3 < prof[0] < 2 and prof[1] > 5 * prof[0]


def test_denoising_errors_and_interpolation_gap():
    from labkit.vae.metrics import denoising_errors, interpolation_gap
    from labkit.vae.models import AE

    torch.manual_seed(0)
    ae = AE(2, width=4, hidden=16).eval()
    x = torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    e_in, e_out = denoising_errors(ae, x, 0.5)
    assert e_in > 0 and e_out > 0 and denoising_errors(ae, x, 0.0)[0] == 0.0
    codes = np.random.default_rng(0).normal(size=(50, 2))
    assert interpolation_gap(ae, x[0], x[1], codes) > 0
