"""Figures and the slider view of notebook 04b (a VAE's real log-likelihood).

Pure functions on the results of :mod:`labkit.vae.likelihood` (no globals): ``plot_*`` return a
Figure; ``render_posterior(index, ...)`` is wrapped by ``SliderView``.
"""

from __future__ import annotations

import numpy as np
import torch

from labkit.vae import likelihood as L
from labkit.viz import pyplot


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def plot_posterior_vs_q(res: "L.GridResult", image=None, ax=None, title: str | None = None):
    """The true posterior p(z|x) from the grid (shaded) and the encoder's q(z|x) (red contours)
    for one image (2-D latent); 1-D latents are drawn as two curves."""
    plt = pyplot()
    if ax is None:
        ncols = 2 if image is not None else 1
        fig, axes = plt.subplots(
            1,
            ncols,
            figsize=(4.2 * ncols, 3.8),
            squeeze=False,
            gridspec_kw={"width_ratios": [0.55, 1][-ncols:]},
        )
        axes = axes[0]
        if image is not None:
            axes[0].imshow(_np(image).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[0].set_axis_off()
            axes[0].set_title("x (binarised)", fontsize=9)
        ax = axes[-1]
    else:
        fig = ax.figure
    g = res.grid
    post, q = _np(res.log_post.exp()), _np(res.log_q.exp())
    if len(g.axes) == 1:
        z = _np(g.axes[0])
        ax.plot(z, post, label="true posterior p(z|x)")
        ax.plot(z, q, "r--", label="encoder q(z|x)")
        ax.set_xlabel("z")
        ax.set_ylabel("density")
        ax.legend(fontsize=8)
    else:
        zx, zy = _np(g.axes[0]), _np(g.axes[1])
        ax.imshow(
            post.reshape(g.shape),
            origin="lower",
            extent=(zx[0], zx[-1], zy[0], zy[-1]),
            cmap="Blues",
            aspect="auto",
        )
        qi = q.reshape(g.shape)
        ax.contour(
            zx, zy, qi, levels=qi.max() * np.array([0.05, 0.3, 0.7]), colors="red", linewidths=1
        )
        ax.plot([], [], color="red", label="encoder q(z|x)")
        ax.fill_between([], [], color="tab:blue", label="true posterior p(z|x)")
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
        ax.legend(fontsize=7, loc="upper right")
        # zoom on where either density is above 1e-3 of its peak
        big = (post.reshape(g.shape) > 1e-3 * post.max()) | (qi > 1e-3 * qi.max())
        rows, cols = np.where(big)
        if len(rows):
            dx, dy = zx[1] - zx[0], zy[1] - zy[0]
            ax.set_xlim(zx[cols.min()] - 3 * dx, zx[cols.max()] + 3 * dx)
            ax.set_ylim(zy[rows.min()] - 3 * dy, zy[rows.max()] + 6 * dy)
    ax.set_title(
        title
        or f"log p(x) = {res.log_px:.2f}, ELBO = {res.elbo:.2f}\n"
        f"gap = KL(q || p(z|x)) = {res.kl:.2f} nats",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def render_posterior(
    index: int = 0, *, model, images, lim: float = 5.0, n_coarse: int = 61, n_fine: int = 81
):
    """Slider view: pick a test image; its true posterior (grid) vs q(z|x) and the gap."""
    if not 0 <= index < len(images):
        raise ValueError(f"index must be in 0..{len(images) - 1}, got {index}")
    x = images[index : index + 1]
    res = L.log_px_adaptive(model, x, lim=lim, n_coarse=n_coarse, n_fine=n_fine)[0]
    return plot_posterior_vs_q(res, x[0])


def plot_iw_curves(curves: dict, log_px, elbos, titles=None):
    """ELBO <= importance-weighted estimate (mean +- sd over repeats, per k) <= log p(x) from the
    grid: one panel per image. ``curves`` = :func:`labkit.vae.likelihood.iw_curve` output."""
    plt = pyplot()
    ks = sorted(curves)
    B = curves[ks[0]].shape[0]
    fig, axes = plt.subplots(1, B, figsize=(3.6 * B, 3.4), squeeze=False)
    for b, ax in enumerate(axes[0]):
        m = np.array([_np(curves[k][b]).mean() for k in ks])
        s = np.array([_np(curves[k][b]).std() for k in ks])
        ax.errorbar(
            ks, m, yerr=s, marker="o", ms=4, capsize=3, label="importance-weighted, k samples"
        )
        ax.axhline(float(log_px[b]), color="k", lw=1.5, label="log p(x) (grid integration)")
        ax.axhline(float(elbos[b]), color="tab:red", ls="--", label="ELBO")
        ax.set_xscale("log")
        ax.set_xlabel("k (samples from q)")
        ax.set_ylabel("nats")
        ax.set_title(titles[b] if titles else f"image {b}", fontsize=9)
        lo = min(float(elbos[b]), (m - s).min())
        pad = max(0.5, 0.15 * (float(log_px[b]) - lo))
        ax.set_ylim(lo - pad, float(log_px[b]) + pad)
    axes[0, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_test_loglik(log_px, estimates: dict):
    """Per test image: each estimate minus log p(x) from the grid, against log p(x). The ELBO lies
    below 0 (by the KL gap), the importance-weighted estimate close to 0."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ref = _np(log_px).astype(np.float64)
    for name, v in estimates.items():
        d = _np(v).astype(np.float64) - ref
        ax.scatter(ref, d, s=14, label=f"{name} (mean {d.mean():+.2f})")
    ax.axhline(0, color="k", lw=1)
    ax.set_xlabel("log p(x) by grid integration (nats)")
    ax.set_ylabel("estimate - log p(x)  (nats)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
