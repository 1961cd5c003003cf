"""Measuring autoencoders (notebook 04_autoencoders_vae): reconstruction errors, ROC/AUROC for
anomaly detection, few-label probes on encoder features, corrupted inputs, latent gaps and
which latent dimension carries which image attribute.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "attribute_correlation",
    "balanced_few_labels",
    "compare_probes",
    "corrupt",
    "denoising_errors",
    "encode_all",
    "gap_profile",
    "image_attributes",
    "interpolation_gap",
    "kl_per_dim",
    "latent_gap_points",
    "pca_fit_transform",
    "probe_accuracy",
    "recon_errors",
    "reconstruct_all",
]


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _in_chunks(model, method, images, batch_size: int) -> torch.Tensor:
    """``method`` (a bound method of ``model``) over ``images`` in eval mode, chunk by chunk on
    the model's device; the result on the CPU."""
    model.eval()
    dev = next(model.parameters()).device
    chunks = [
        method(images[i : i + batch_size].to(dev)).cpu() for i in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks)


@torch.no_grad()
def encode_all(model, images, batch_size: int = 1000) -> torch.Tensor:
    """Deterministic codes (N, latent_dim): z for an AE, mu for a VAE (``model.embed``)."""
    return _in_chunks(model, model.embed, images, batch_size)


@torch.no_grad()
def reconstruct_all(model, images, batch_size: int = 1000) -> torch.Tensor:
    """``model.reconstruct`` over a large batch, in chunks: (N, 1, 28, 28) in [0, 1]."""
    return _in_chunks(model, model.reconstruct, images, batch_size)


def recon_errors(model, images, kind: str = "mse") -> torch.Tensor:
    """Per-image reconstruction error (N,).

    Summed squared error (``mse``) or summed BCE (``bce``).
    """
    rec = reconstruct_all(model, images)
    if kind == "mse":
        return (rec - images).pow(2).flatten(1).sum(1)
    if kind == "bce":
        return (
            torch.nn.functional.binary_cross_entropy(
                rec.clamp(1e-6, 1 - 1e-6), images, reduction="none"
            )
            .flatten(1)
            .sum(1)
        )
    raise ValueError(f"kind must be 'mse' or 'bce', got {kind!r}")


def corrupt(images, kind: str = "noise", strength: float = 0.5, seed: int = 0) -> torch.Tensor:
    """Corrupted copies of ``images`` (N, 1, 28, 28) in [0, 1], seeded:

    - ``noise``: Gaussian pixel noise with std ``strength``, clamped;
    - ``patch``: a random bright square covering ``strength`` of the image side;
    - ``invert``: 1 - x blended with weight ``strength``.
    """
    g = torch.Generator().manual_seed(seed)
    x = images.clone()
    if kind == "noise":
        return (x + strength * torch.randn(x.shape, generator=g)).clamp(0, 1)
    if kind == "patch":
        side = max(1, int(round(strength * 28)))
        pos = torch.randint(0, 28 - side + 1, (len(x), 2), generator=g)
        for i, (r, c) in enumerate(pos.tolist()):
            x[i, :, r : r + side, c : c + side] = 1.0
        return x
    if kind == "invert":
        return (1 - strength) * x + strength * (1 - x)
    raise ValueError(f"kind must be 'noise', 'patch' or 'invert', got {kind!r}")


def balanced_few_labels(labels, n_labels: int = 100, seed: int = 0) -> np.ndarray:
    """Indices of ``n_labels`` examples, as balanced over the classes as possible (seeded)."""
    y = _np(labels)
    classes = np.unique(y)
    rng = np.random.default_rng(seed)
    per = [rng.permutation(np.nonzero(y == c)[0]) for c in classes]
    k = n_labels // len(classes)
    idx = np.concatenate([p[:k] for p in per])
    rest = np.setdiff1d(np.arange(len(y)), idx)
    idx = np.concatenate([idx, rng.choice(rest, n_labels - len(idx), replace=False)])
    return np.sort(idx)


def probe_accuracy(train_feats, train_labels, test_feats, test_labels) -> float:
    """Test accuracy of a standardised logistic-regression probe (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    clf.fit(_np(train_feats), _np(train_labels))
    return float(clf.score(_np(test_feats), _np(test_labels)))


def pca_fit_transform(train_images, test_images, n_components: int, seed: int = 0):
    """PCA fitted on (unlabelled) training images: returns (train_codes, test_codes) numpy."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=n_components, random_state=seed)
    a = pca.fit_transform(_np(train_images).reshape(len(train_images), -1))
    return a, pca.transform(_np(test_images).reshape(len(test_images), -1))


def compare_probes(model, train, test, n_labels: int = 100, seed: int = 0) -> dict:
    """Few-label probe: the same ``n_labels`` labelled training images, three feature sets —
    the encoder's codes, raw pixels, and PCA with as many components as the latent size
    (encoder and PCA are fitted without labels on all of ``train``). Returns accuracies."""
    idx = balanced_few_labels(train.labels, n_labels, seed)
    ytr, yte = train.labels[idx], test.labels
    ztr, zte = encode_all(model, train.images[idx]), encode_all(model, test.images)
    ptr, pte = pca_fit_transform(train.images, test.images, model.latent_dim, seed)
    flat = lambda x: _np(x).reshape(len(x), -1)  # noqa: E731
    return {
        "encoder": probe_accuracy(ztr, ytr, zte, yte),
        "pixels": probe_accuracy(flat(train.images[idx]), ytr, flat(test.images), yte),
        "pca": probe_accuracy(ptr[idx], ytr, pte, yte),
        "n_labels": int(n_labels),
        "latent_dim": int(model.latent_dim),
    }


def latent_gap_points(codes, n_grid: int = 40, factor: float = 3.0, quantile: float = 0.9):
    """Grid points *inside* the region the codes occupy (their convex hull) that lie far from
    every code: holes between clusters that the decoder never saw during training (2-D latents).

    Returns ``(grid (G, 2), dist (G,), is_gap (G,) bool, threshold)``: the grid over the codes'
    bounding box, each point's distance to its nearest code, and whether it is inside the hull
    and farther than ``factor`` times the ``quantile`` of the code-to-nearest-code distances
    (if no point qualifies, the farthest 5% of the inside points count as gaps).
    """
    from scipy.spatial import Delaunay

    z = torch.as_tensor(_np(codes), dtype=torch.float32)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"latent_gap_points needs 2-D codes of shape (N, 2), got {tuple(z.shape)}")
    if len(z) < 10:
        raise ValueError(f"latent_gap_points needs at least 10 codes, got {len(z)}")
    lo, hi = z.min(0).values, z.max(0).values
    grid = torch.cartesian_prod(
        torch.linspace(float(lo[0]), float(hi[0]), n_grid),
        torch.linspace(float(lo[1]), float(hi[1]), n_grid),
    )
    inside = torch.as_tensor(Delaunay(z.numpy()).find_simplex(grid.numpy()) >= 0)
    dist = torch.cdist(grid, z).min(1).values
    nn_d = torch.cdist(z, z).fill_diagonal_(float("inf")).min(1).values
    thr = factor * float(torch.quantile(nn_d, quantile))
    gap = inside & (dist > thr)
    if not gap.any():
        thr = float(torch.quantile(dist[inside], 0.95))
        gap = inside & (dist >= thr)
    return grid, dist, gap, thr


def image_attributes(images) -> dict:
    """Simple measurable attributes per image (N,): ``ink`` (mean intensity ~ stroke thickness),
    ``width`` and ``height`` (spread of ink, in pixels), ``slant`` (x-y covariance of ink: the
    lean of the digit)."""
    x = torch.as_tensor(_np(images), dtype=torch.float64).reshape(len(images), 28, 28)
    w = x / x.sum((1, 2), keepdim=True).clamp_min(1e-8)
    r = torch.arange(28, dtype=torch.float64)
    ry, rx = r.view(1, 28, 1), r.view(1, 1, 28)
    my, mx = (w * ry).sum((1, 2)), (w * rx).sum((1, 2))
    dy, dx = ry - my.view(-1, 1, 1), rx - mx.view(-1, 1, 1)
    vx, vy = (w * dx**2).sum((1, 2)), (w * dy**2).sum((1, 2))
    cxy = (w * dx * dy).sum((1, 2))
    return {
        "ink": x.mean((1, 2)).numpy(),
        "width": (2 * vx.sqrt()).numpy(),
        "height": (2 * vy.sqrt()).numpy(),
        "slant": (-cxy / vy.clamp_min(1e-8)).numpy(),
    }


def attribute_correlation(codes, attributes: dict) -> tuple[np.ndarray, list]:
    """|Pearson correlation| between each latent dimension and each attribute: (D, A), names."""
    z = _np(codes).astype(np.float64)
    names = list(attributes)
    a = np.stack([np.asarray(attributes[k], dtype=np.float64) for k in names], 1)
    zc, ac = z - z.mean(0), a - a.mean(0)
    den = np.outer(np.sqrt((zc**2).sum(0)), np.sqrt((ac**2).sum(0)))
    return np.abs(zc.T @ ac) / np.maximum(den, 1e-12), names


@torch.no_grad()
def kl_per_dim(model, images, batch_size: int = 1000) -> np.ndarray:
    """Mean KL(q(z_j|x) || N(0, 1)) of each latent dimension (D,): near 0 = an unused dimension."""
    from labkit.vae.losses import kl_normal

    model.eval()
    dev = next(model.parameters()).device
    tot = 0
    for i in range(0, len(images), batch_size):
        mu, logvar = model.encode(images[i : i + batch_size].to(dev))
        tot = tot + kl_normal(mu, logvar, reduce_dims=False).sum(0).cpu()
    return (tot / len(images)).numpy()


@torch.no_grad()
def denoising_errors(model, images, noise: float, seed: int = 0) -> tuple[float, float]:
    """Section 4: mean summed squared error to the clean images of the noisy input (Gaussian
    noise of std ``noise``, seeded) and of the model's output: ``(err_noisy, err_denoised)``."""
    from labkit.vae.losses import add_noise

    x = torch.as_tensor(images)
    noisy = add_noise(x, float(noise), generator=torch.Generator().manual_seed(seed))
    out = reconstruct_all(model, noisy)
    return float((noisy - x).pow(2).flatten(1).sum(1).mean()), float(
        (out - x).pow(2).flatten(1).sum(1).mean()
    )


def gap_profile(path, codes, k: int = 10) -> np.ndarray:
    """Section 11: how far each point of a latent path (T, d) is from the data codes (N, >= d):
    distance to its k-th nearest code, in units of the codes' own median k-th-neighbour distance
    (about 1 = as dense as the data, >> 1 = in a gap). The k-th neighbour (not the nearest)
    makes the curve smooth."""
    path = torch.as_tensor(_np(path), dtype=torch.float32)
    z = torch.as_tensor(_np(codes), dtype=torch.float32)[:, : path.shape[1]]
    k = min(k, len(z) - 1)
    ref = torch.cdist(z, z).topk(k + 1, largest=False).values[:, -1].median()  # k-th other code
    return (torch.cdist(path, z).topk(k, largest=False).values[:, -1] / ref).numpy()


@torch.no_grad()
def interpolation_gap(model, x_a, x_b, codes, steps: int = 41) -> float:
    """Section 11: the largest :func:`gap_profile` value on the straight path between the codes
    of images ``x_a`` and ``x_b`` (each (1, 28, 28) or (1, 1, 28, 28))."""
    dev = next(model.parameters()).device
    za, zb = (
        model.embed(torch.as_tensor(x).reshape(1, 1, 28, 28).to(dev)).cpu()[0] for x in (x_a, x_b)
    )
    ts = torch.linspace(0, 1, steps)[:, None]
    return float(gap_profile((1 - ts) * za + ts * zb, codes).max())
