"""GAN metrics for lab 05.

- :func:`mode_coverage`: the PacGAN / VEEGAN protocol on the 2-D mixtures (modes covered and
  fraction of high-quality samples).
- :func:`frechet_distance`: a Frechet distance between real and generated MNIST digits in the
  feature space of labkit's own small MNIST classifier (:mod:`labkit.gan.judge`).
  **This is not Inception-FID**: it uses a different network and feature space, so its values
  are comparable only with other values of this function (same classifier seed).
- :func:`conditional_accuracy`: the classifier's accuracy on generated digits per requested label.
"""

from __future__ import annotations

import numpy as np
import torch


def _np2d(x, what="samples") -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{what} must have shape (N, 2); got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(
            f"{what} contain NaN or inf ({int((~np.isfinite(x)).sum())} values): "
            "did training diverge?"
        )
    return x


def mode_coverage(samples, mixture="ring", n_std: float = 3.0) -> dict:
    """Modes covered and high-quality fraction, as in PacGAN (Lin et al. 2018) and VEEGAN.

    ``mixture`` is ``"ring"`` / ``"grid"`` or a pair ``(means (K, 2), std)``. Each sample goes to
    its nearest mode; it is *high quality* if within ``n_std`` standard deviations of that mode;
    a mode is *covered* if at least one high-quality sample is assigned to it. The papers use
    2,500 samples. Returns ``{"modes": int, "hq": fraction, "n_modes": K,
    "counts": high-quality samples per mode (K,)}``.
    """
    from labkit.data.mixtures import mixture_modes

    means, std = mixture_modes(mixture) if isinstance(mixture, str) else mixture
    means = _np2d(means, "means")
    x = _np2d(samples)
    if len(x) == 0:
        raise ValueError("samples is empty")
    d2 = ((x[:, None, :] - means[None]) ** 2).sum(-1)  # (N, K)
    nearest = d2.argmin(1)
    hq = np.sqrt(d2[np.arange(len(x)), nearest]) <= n_std * std
    counts = np.bincount(nearest[hq], minlength=len(means))
    return {
        "modes": int((counts > 0).sum()),
        "hq": float(hq.mean()),
        "n_modes": len(means),
        "counts": counts,
    }


def _as_images(x, what) -> torch.Tensor:
    x = torch.as_tensor(x).float()
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(
            f"{what} must be MNIST-sized images (N, 1, 28, 28) in [0, 1]; got {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{what} contain NaN or inf")
    if x.min() < -0.05 or x.max() > 1.05:
        raise ValueError(
            f"{what} must be in [0, 1] (got [{x.min():.2f}, {x.max():.2f}]); "
            "a tanh generator outputs [-1, 1]: pass (x + 1) / 2"
        )
    return x


@torch.no_grad()
def classifier_features(images, classifier=None, batch_size: int = 500) -> np.ndarray:
    """``(N, 128)`` penultimate features of the judge classifier for images in [0, 1]."""
    from labkit.gan.judge import load_classifier

    clf = classifier if classifier is not None else load_classifier()
    clf.eval()
    x = _as_images(images, "images")
    dev = next(clf.parameters()).device
    out = [clf.features(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out).double().numpy()


def frechet_from_stats(mu1, cov1, mu2, cov2) -> float:
    """||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)), via a symmetric eigen-decomposition
    (tr (C1 C2)^(1/2) = sum of sqrt eigenvalues of C1^(1/2) C2 C1^(1/2))."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    w, v = np.linalg.eigh((cov1 + cov1.T) / 2)
    s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # C1^(1/2)
    m = s1 @ cov2 @ s1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt)


def frechet_distance_features(f1, f2) -> float:
    """Frechet distance between two feature sets ``(N, D)`` and ``(M, D)`` (Gaussian fits)."""
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(
            f"features must be (N, D) and (M, D) with the same D; got {f1.shape}, {f2.shape}"
        )
    if len(f1) < 2 or len(f2) < 2:
        raise ValueError("need at least 2 samples per set for a covariance")
    return frechet_from_stats(
        f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
    )


def frechet_distance(real_images, fake_images, classifier=None) -> float:
    """Classifier-feature Frechet distance between real and generated MNIST images in [0, 1].

    NOT Inception-FID: the features are those of labkit's small MNIST classifier
    (``load_classifier()`` unless ``classifier`` is given, any module with ``.features``).
    Lower is better; use >= 1,000 images per side (the estimate is biased upward for few samples).
    """
    return frechet_distance_features(
        classifier_features(real_images, classifier), classifier_features(fake_images, classifier)
    )


@torch.no_grad()
def conditional_accuracy(images, labels, classifier=None) -> dict:
    """Accuracy of the judge classifier on generated digits whose requested labels are ``labels``.

    Returns ``{"accuracy": overall, "per_label": {digit: accuracy}, "confusion": (10, 10) counts}``
    (rows = requested label, columns = predicted).
    """
    from labkit.gan.judge import load_classifier

    clf = classifier if classifier is not None else load_classifier()
    clf.eval()
    x = _as_images(images, "images")
    y = torch.as_tensor(labels).long().cpu()
    if y.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},); got {tuple(y.shape)}")
    dev = next(clf.parameters()).device
    pred = torch.cat([clf(x[i : i + 500].to(dev)).argmax(1).cpu() for i in range(0, len(x), 500)])
    conf = np.zeros((10, 10), dtype=np.int64)
    np.add.at(conf, (y.numpy(), pred.numpy()), 1)
    per = {int(d): float(conf[d, d] / conf[d].sum()) for d in range(10) if conf[d].sum()}
    return {"accuracy": float((pred == y).float().mean()), "per_label": per, "confusion": conf}
