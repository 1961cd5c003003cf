"""Views for notebook 04_autoencoders_vae: pure ``render_...`` functions returning matplotlib
Figures (tested headlessly), and small factories that wrap them in a :class:`SliderView`.

Models only need the shared interface (``encode``/``embed``/``decode``/``latent_dim``), so any
trained AE or VAE can be plotted.
"""

from __future__ import annotations

import numpy as np
import torch

from labkit.vae.models import check_images
from labkit.views import SliderView, dropdown, float_slider
from labkit.viz import image_grid, pyplot, scatter2d

__all__ = [
    "render_reconstructions",
    "render_latent_scatters",
    "render_probe_bars",
    "render_denoising",
    "render_roc",
    "render_gaps",
    "render_samples",
    "render_manifold",
    "render_perturbation",
    "render_traversal",
    "render_interpolation",
    "render_interpolation_strip",
    "render_beta",
    "perturbation_view",
    "interpolation_view",
    "denoising_view",
    "beta_view",
    "beta_summary",
]


def _dev(model):
    return next(model.parameters()).device


@torch.no_grad()
def _decode(model, z):
    model.eval()
    return model.decode(torch.as_tensor(z, dtype=torch.float32).to(_dev(model))).cpu()


@torch.no_grad()
def _embed(model, x):
    model.eval()
    return model.embed(check_images(x).to(_dev(model))).cpu()


def _one_image(image):
    x = torch.as_tensor(image, dtype=torch.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(
            f"expected one image of shape (1, 28, 28) or (1, 1, 28, 28), got {tuple(x.shape)}"
        )
    return check_images(x, "image")


def _show(ax, images, nrow, title=None):
    ax.imshow(image_grid(images, nrow=nrow, padding=1), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=9)


# ---- autoencoder part -------------------------------------------------------------------------


@torch.no_grad()
def render_reconstructions(models: dict, images, errors: dict | None = None):
    """Ground truth (top row) and one row of reconstructions per model (``{name: model}``);
    ``errors[name]`` (e.g. the test reconstruction error) is written next to each row."""
    images = check_images(torch.as_tensor(images)[:12])
    plt = pyplot()
    rows = [("ground truth", images)] + [
        (k, m.eval().reconstruct(images.to(_dev(m))).cpu()) for k, m in models.items()
    ]
    fig, axes = plt.subplots(
        len(rows), 1, figsize=(0.6 * len(images) + 1.5, 0.75 * len(rows) + 0.4)
    )
    for ax, (name, x) in zip(np.atleast_1d(axes), rows):
        _show(ax, x, nrow=len(images))
        label = (
            name if errors is None or name not in errors else f"{name}\nerror {errors[name]:.1f}"
        )
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle("reconstructions (error: summed squared error per test image)", fontsize=10)
    fig.tight_layout()
    return fig


def render_latent_scatters(codes: dict, labels, size: float = 3.6, s: float = 5):
    """One 2-D scatter per entry of ``{title: codes (N, 2)}``, coloured by digit label."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(codes), figsize=(size * len(codes), size))
    axes = np.atleast_1d(axes)
    for ax, (title, z) in zip(axes, codes.items()):
        scatter2d(np.asarray(z)[:, :2], labels, ax=ax, title=title, s=s, legend=False)
        ax.set_xlabel("dim 1")
        ax.set_ylabel("dim 2")
    if labels is not None and len(np.unique(np.asarray(labels))) <= 12:
        handles, names = axes[-1].collections[0].legend_elements()
        axes[-1].legend(
            handles, names, fontsize=7, markerscale=0.7, loc="upper left", bbox_to_anchor=(1.0, 1.0)
        )
    fig.tight_layout()
    return fig


def render_probe_bars(results: dict):
    """Bar chart of few-label probe accuracies (``labkit.vae.metrics.compare_probes``)."""
    plt = pyplot()
    names = [k for k in ("encoder", "pca", "pixels") if k in results]
    fig, ax = plt.subplots(figsize=(4.2, 3))
    bars = ax.bar(names, [results[k] for k in names], color=["C0", "C1", "C7"][: len(names)])
    for b in bars:
        ax.text(
            b.get_x() + b.get_width() / 2,
            b.get_height() + 0.01,
            f"{b.get_height():.1%}",
            ha="center",
        )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test accuracy")
    ax.set_title(f"logistic regression on {results.get('n_labels', '?')} labels", fontsize=10)
    return fig


@torch.no_grad()
def render_denoising(model, images, noise: float = 0.4, seed: int = 0):
    """Clean images, the same with Gaussian noise of std ``noise``, and the model's output."""
    from labkit.vae.losses import add_noise
    from labkit.vae.metrics import denoising_errors

    x = check_images(torch.as_tensor(images)[:8])
    noisy = add_noise(x, float(noise), generator=torch.Generator().manual_seed(seed))
    out = model.reconstruct(noisy.to(_dev(model))).cpu()
    err_in, err_out = denoising_errors(model, x, noise, seed)
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(0.6 * len(x) + 1.4, 2.6))
    for ax, (name, v) in zip(
        axes, [("clean", x), (f"noisy\n{err_in:.0f}", noisy), (f"denoised\n{err_out:.0f}", out)]
    ):
        _show(ax, v, nrow=len(x))
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"noise std {noise:.2f} (numbers: squared error to clean)", fontsize=10)
    fig.tight_layout()
    return fig


def render_roc(curves: dict):
    """ROC curves: ``{name: (normal_scores, anomaly_scores)}``; AUROC in the legend."""
    from labkit.density.models import auroc, roc_curve

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for name, (s0, s1) in curves.items():
        s = np.r_[np.asarray(s0), np.asarray(s1)]
        y = np.r_[np.zeros(len(s0)), np.ones(len(s1))]
        fpr, tpr = roc_curve(s, y)
        ax.plot(fpr, tpr, label=f"{name}: AUROC {auroc(s, y):.3f}")
    ax.plot([0, 1], [0, 1], "k:", lw=1, label="chance")
    ax.set_xlabel("false positive rate (normal flagged)")
    ax.set_ylabel("true positive rate (anomaly caught)")
    ax.set_title("anomaly detection by reconstruction error", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig


@torch.no_grad()
def render_gaps(model, codes, labels, n_show: int = 10, seed: int = 0):
    """Left: 2-D codes with the grid points that lie in gaps (far from every code). Right:
    images decoded at data points vs at gap points."""
    from labkit.vae.metrics import latent_gap_points

    grid, dist, gap, _ = latent_gap_points(codes)
    rng = np.random.default_rng(seed)
    gap_idx = np.nonzero(gap.numpy())[0]
    if len(gap_idx) == 0:
        raise ValueError("no gaps found in this latent space (are the codes 2-D and spread out?)")
    pick_gap = rng.choice(gap_idx, min(n_show, len(gap_idx)), replace=False)
    z_data = torch.as_tensor(np.asarray(codes), dtype=torch.float32)
    pick_data = rng.choice(len(z_data), n_show, replace=False)
    plt = pyplot()
    fig = plt.figure(figsize=(10, 4.2))
    ax = fig.add_subplot(1, 2, 1)
    scatter2d(
        z_data.numpy(), labels, ax=ax, s=4, title="codes of the data and gap points", legend=False
    )
    ax.scatter(grid[gap, 0], grid[gap, 1], marker="x", c="0.6", s=10, label="gap (far from data)")
    ax.scatter(
        grid[pick_gap, 0], grid[pick_gap, 1], marker="x", c="k", s=40, label="decoded on the right"
    )
    ax.set_xlabel("z 1")
    ax.set_ylabel("z 2")
    ax.legend(fontsize=7, loc="best")
    a1, a2 = fig.add_subplot(2, 2, 2), fig.add_subplot(2, 2, 4)
    _show(
        a1,
        _decode(model, z_data[pick_data]),
        nrow=n_show // 2,
        title="decoded at codes of real images",
    )
    _show(a2, _decode(model, grid[pick_gap]), nrow=n_show // 2, title="decoded in the gaps")
    fig.tight_layout()
    return fig


def render_samples(
    model, n: int = 32, seed: int = 0, title: str = "samples from the prior N(0, I)"
):
    """``n`` images decoded from z ~ N(0, I) (seeded)."""
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(0.55 * min(n, 16) + 0.5, 0.55 * -(-n // 16) + 0.6))
    _show(ax, _decode(model, z), nrow=16, title=title)
    return fig


def render_manifold(model, n: int = 15, dims=(0, 1), base=None, span: float = 0.95):
    """Decode a regular grid over two latent dimensions (others fixed at ``base``, default 0).
    The grid sits at Gaussian quantiles ``(1-span)/2 .. (1+span)/2`` so it covers the prior's
    mass."""
    from scipy.stats import norm

    d = model.latent_dim
    if d < 2 or len(set(dims)) != 2 or max(dims) >= d:
        raise ValueError(f"dims must be two different latent dimensions below {d}, got {dims}")
    vals = norm.ppf(np.linspace((1 - span) / 2, (1 + span) / 2, n)).astype(np.float32)
    z = (
        torch.zeros(n * n, d)
        if base is None
        else torch.as_tensor(base, dtype=torch.float32).repeat(n * n, 1)
    )
    zz = torch.cartesian_prod(
        torch.tensor(vals[::-1].copy()), torch.tensor(vals)
    )  # rows: dim2 top->bottom
    z[:, dims[1]], z[:, dims[0]] = zz[:, 0], zz[:, 1]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(
        image_grid(_decode(model, z), nrow=n, padding=0),
        extent=(vals[0], vals[-1], vals[0], vals[-1]),
    )
    ax.set_xlabel(f"z{dims[0]}")
    ax.set_ylabel(f"z{dims[1]}")
    ax.grid(False)
    ax.set_title("latent manifold: decode(z) on a grid of z", fontsize=10)
    return fig


# ---- latent perturbation and traversals -------------------------------------------------------


def render_perturbation(model, image, **z):
    """Image, its reconstruction, and decode(z) where ``z0=.., z1=..`` are the slider values."""
    x = _one_image(image)
    mu = _embed(model, x)[0]
    code = mu.clone()
    for k, v in z.items():
        if not (k.startswith("z") and k[1:].isdigit() and int(k[1:]) < model.latent_dim):
            raise ValueError(f"latent keywords are z0..z{model.latent_dim - 1}, got {k}")
        code[int(k[1:])] = float(v)
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(9, 2.4), gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
    for ax, im, t in zip(
        axes,
        [x[0], _decode(model, mu[None])[0], _decode(model, code[None])[0]],
        ["input", "reconstruction", "decode(z)"],
    ):
        _show(ax, im[None], 1, t)
    ax = axes[3]
    idx = np.arange(model.latent_dim)
    ax.bar(idx - 0.2, mu.numpy(), 0.4, label="code of input", color="0.6")
    ax.bar(idx + 0.2, code.numpy(), 0.4, label="z (sliders)", color="C3")
    ax.set_xticks(idx)
    ax.set_xticklabels([f"z{j}" for j in idx], fontsize=8)
    ax.set_ylim(-4, 4)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def render_traversal(
    model, image, dims=None, values=None, order_by_kl: bool = False, images_for_kl=None
):
    """Static version of the perturbation sliders: row j changes latent dim ``dims[j]`` over
    ``values`` (others fixed at the image's code)."""
    x = _one_image(image)
    mu = _embed(model, x)[0]
    dims = list(range(model.latent_dim)) if dims is None else list(dims)
    values = np.linspace(-3, 3, 9) if values is None else np.asarray(values)
    z = mu.repeat(len(dims) * len(values), 1)
    for r, j in enumerate(dims):
        z[r * len(values) : (r + 1) * len(values), j] = torch.as_tensor(values, dtype=torch.float32)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(0.6 * len(values) + 1, 0.6 * len(dims) + 0.8))
    ax.imshow(image_grid(_decode(model, z), nrow=len(values), padding=1), interpolation="nearest")
    ax.set_yticks(14 + 29 * np.arange(len(dims)))
    ax.set_yticklabels([f"z{j}" for j in dims])
    ax.set_xticks(14 + 29 * np.arange(len(values)))
    ax.set_xticklabels([f"{v:.1f}" for v in values], fontsize=8)
    ax.set_xlabel("value of the changed dimension")
    ax.grid(False)
    ax.set_title("latent traversal (one dimension per row)", fontsize=10)
    return fig


def perturbation_view(model, image, span: float = 3.0, title: str = "latent perturbation"):
    """A slider per latent dimension, each starting at the image's code."""
    mu = _embed(model, _one_image(image))[0]
    sliders = {
        f"z{j}": float_slider(
            f"z{j}", -span, span, float(np.clip(float(mu[j]), -span, span)), step=0.1
        )
        for j in range(model.latent_dim)
    }
    return SliderView(
        render_perturbation, fixed={"model": model, "image": image}, title=title, **sliders
    )


# ---- interpolation AE vs VAE ------------------------------------------------------------------


def _gap_profile(path, codes, k: int = 10):
    from labkit.vae.metrics import gap_profile

    return gap_profile(path, codes, k)


def render_interpolation(
    ae, vae, x_a, x_b, t: float = 0.5, ae_codes=None, vae_codes=None, labels=None
):
    """Walk from image a to image b in each model's latent space: z(t) = (1-t) z_a + t z_b.
    Per model (rows AE, VAE): the 2-D codes with the path and the current point, decode(z(t)),
    and (if codes are given) the distance from the path to the nearest code of a real image,
    in units of the codes' typical spacing (large = the path is in a gap)."""
    plt = pyplot()
    with_codes = ae_codes is not None and vae_codes is not None
    ncol = 3 if with_codes else 2
    fig, axes = plt.subplots(
        2, ncol, figsize=(3.4 * ncol + 0.6, 6.4), gridspec_kw={"width_ratios": [2.2, 1, 1.6][:ncol]}
    )
    ts = np.linspace(0, 1, 41)
    for r, (name, m, codes) in enumerate([("AE", ae, ae_codes), ("VAE", vae, vae_codes)]):
        za, zb = _embed(m, _one_image(x_a))[0], _embed(m, _one_image(x_b))[0]
        path = torch.stack([(1 - s) * za + s * zb for s in ts])
        zt = (1 - t) * za + t * zb
        ax = axes[r, 0]
        if codes is not None:
            scatter2d(np.asarray(codes)[:, :2], labels, ax=ax, s=3, legend=False, alpha=0.5)
        ax.plot(path[:, 0], path[:, 1], "k-", lw=1.5)
        ax.plot(*zt[:2].numpy(), "r*", ms=16, mec="k")
        ax.set_title(f"{name} latent space: path a -> b", fontsize=9)
        ax.set_xlabel("dim 1")
        ax.set_ylabel("dim 2")
        _show(axes[r, 1], _decode(m, zt[None]), 1, f"{name}: decode(z(t)), t = {t:.2f}")
        if with_codes:
            ax = axes[r, 2]
            prof = _gap_profile(path, codes)
            ax.plot(ts, prof, "k-")
            ax.axvline(t, color="r")
            ax.set_xlabel("t")
            ax.set_ylabel("distance to data\n(1 = as dense as the data)")
            ax.set_ylim(0, max(5, 1.1 * float(prof.max())))
            ax.set_title(f"{name}: max {float(prof.max()):.1f}", fontsize=9)
    fig.tight_layout()
    return fig


def render_interpolation_strip(ae, vae, x_a, x_b, steps: int = 9):
    """Static interpolation: one row of decodes for the AE, one for the VAE."""
    ts = torch.linspace(0, 1, steps)[:, None]
    rows = []
    for m in (ae, vae):
        za, zb = _embed(m, _one_image(x_a)), _embed(m, _one_image(x_b))
        rows.append(_decode(m, (1 - ts) * za + ts * zb))
    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(0.6 * steps + 1.2, 1.9))
    for ax, name, x in zip(axes, ["AE", "VAE"], rows):
        _show(ax, x, steps)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    fig.suptitle("interpolation a -> b (t = 0 ... 1)", fontsize=10)
    fig.tight_layout()
    return fig


def interpolation_view(
    ae,
    vae,
    x_a,
    x_b,
    ae_codes=None,
    vae_codes=None,
    labels=None,
    title: str = "interpolation AE vs VAE",
):
    return SliderView(
        render_interpolation,
        title=title,
        fixed=dict(
            ae=ae, vae=vae, x_a=x_a, x_b=x_b, ae_codes=ae_codes, vae_codes=vae_codes, labels=labels
        ),
        t=float_slider("t (a -> b)", 0.0, 1.0, 0.5, step=0.05),
    )


def denoising_view(model, images, title: str = "denoising autoencoder"):
    return SliderView(
        render_denoising,
        title=title,
        fixed=dict(model=model, images=images),
        noise=float_slider("noise std", 0.0, 1.0, 0.4, step=0.05),
    )


# ---- beta-VAE ---------------------------------------------------------------------------------


def beta_summary(model, images) -> dict:
    """What each latent dim of a (beta-)VAE does on ``images``: mean KL per dim, |correlation|
    of its code with simple attributes (ink, width, height, slant), and the ELBO."""
    from labkit.vae.losses import evaluate_elbo
    from labkit.vae.metrics import attribute_correlation, encode_all, image_attributes, kl_per_dim

    corr, names = attribute_correlation(encode_all(model, images), image_attributes(images))
    return {
        "kl": kl_per_dim(model, images),
        "corr": corr,
        "attributes": names,
        "elbo": evaluate_elbo(model, images)["elbo"],
        "beta": float(getattr(model, "beta", 1.0)),
    }


def render_beta(models: dict, summaries: dict, beta, image, values=None):
    """For the model trained with ``beta``: a traversal of its dims (most used first), the KL of
    each dim, and which attribute each dim tracks (|correlation|)."""
    if beta not in models:
        raise ValueError(f"no model for beta={beta}; trained betas: {sorted(models)}")
    m, s = models[beta], summaries[beta]
    order = np.argsort(-s["kl"])
    values = np.linspace(-2.5, 2.5, 7) if values is None else values
    x = _one_image(image)
    mu = _embed(m, x)[0]
    z = mu.repeat(len(order) * len(values), 1)
    for r, j in enumerate(order):
        z[r * len(values) : (r + 1) * len(values), j] = torch.as_tensor(values, dtype=torch.float32)
    plt = pyplot()
    fig, axes = plt.subplots(
        1, 3, figsize=(11, 0.55 * len(order) + 1.6), gridspec_kw={"width_ratios": [1.4, 0.8, 1.1]}
    )
    names = [f"z{j}" + (" (unused)" if s["kl"][j] < 0.05 else "") for j in order]
    ax = axes[0]
    ax.imshow(image_grid(_decode(m, z), nrow=len(values), padding=1), interpolation="nearest")
    ax.set_yticks(14 + 29 * np.arange(len(order)))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xticks(14 + 29 * np.arange(len(values)))
    ax.set_xticklabels([f"{v:.1f}" for v in values], fontsize=7)
    ax.grid(False)
    ax.set_title(f"beta = {beta:g}: traversals", fontsize=10)
    ax = axes[1]
    ax.barh(np.arange(len(order)), s["kl"][order], color="C0")
    ax.set_yticks(np.arange(len(order)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("KL (nats)")
    ax.set_title(f"KL per dim; ELBO {s['elbo']:.1f}", fontsize=10)
    ax = axes[2]
    im = ax.imshow(s["corr"][order], vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(s["attributes"])))
    ax.set_xticklabels(s["attributes"], fontsize=8)
    ax.set_yticks(np.arange(len(order)))
    ax.set_yticklabels(names, fontsize=8)
    ax.grid(False)
    ax.set_title("|corr(code, attribute)|", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    return fig


def beta_view(models: dict, summaries: dict, image, title: str = "beta-VAE"):
    """Pick a trained beta (a dropdown: it works the same in ipywidgets 7.7 and 8)."""
    betas = sorted(models)
    return SliderView(
        render_beta,
        title=title,
        fixed=dict(models=models, summaries=summaries, image=image),
        beta=dropdown("beta", {f"{b:g}": b for b in betas}, betas[len(betas) // 2]),
    )
