"""Views for lab 05 (GANs): pure ``render_...`` functions returning matplotlib Figures (tested
headlessly), shown with :class:`labkit.views.SliderView` in the notebook."""

from __future__ import annotations

import numpy as np
import torch

from labkit.viz import image_grid, pyplot


def _index(snapshots, step_index):
    if not snapshots:
        raise ValueError("no snapshots: train first (the training function returns them)")
    if not 0 <= int(step_index) < len(snapshots):
        raise ValueError(f"step_index must be in 0..{len(snapshots) - 1}, got {step_index}")
    return snapshots[int(step_index)]


# ---- section 1: 1-D ----------------------------------------------------------------------------
def render_1d(snapshots, step_index: int = 0, bins: int = 60, xlim=(-4.5, 5.5)):
    """Histogram of G(z) against the target density, and D(x) on the same x axis, at one snapshot
    (``{"step", "samples" (n,), "xs" (m,), "d" (m,)}``)."""
    from labkit.data.mixtures import density_1d

    s = _index(snapshots, step_index)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    xs = np.linspace(*xlim, 400)
    ax.fill_between(xs, density_1d(xs), color="0.8", label="data density p(x)")
    ax.hist(
        np.asarray(s["samples"]).ravel(),
        bins=bins,
        range=xlim,
        density=True,
        alpha=0.6,
        color="C0",
        label="generated G(z)",
    )
    ax.set_xlim(*xlim)
    ax.set_ylim(0, 0.9)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax2 = ax.twinx()
    ax2.plot(s["xs"], s["d"], color="C3", lw=2, label="D(x)")
    ax2.axhline(0.5, color="C3", ls=":", lw=1)
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("D(x) = P(real)", color="C3")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    ax.set_title(f"step {s['step']}")
    fig.tight_layout()
    return fig


# ---- section 2: 2-D mixtures ----------------------------------------------------------------
def _lim(mixture):
    return 1.6 if mixture == "ring" else 5.5


@torch.no_grad()
def decision_surface(D, lim: float, n: int = 120):
    """D(x) = sigmoid(logit) on an ``n x n`` grid over ``[-lim, lim]^2`` -> (xs, P (n, n))."""
    xs = np.linspace(-lim, lim, n)
    gx, gy = np.meshgrid(xs, xs)
    pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    p = torch.sigmoid(D(pts)).numpy().reshape(n, n)
    return xs, p


def render_mixture(
    snapshots,
    step_index: int = -1,
    mixture: str = "ring",
    G=None,
    D=None,
    n: int = 2500,
    seed: int = 0,
    ax=None,
    title: str | None = None,
):
    """Generated samples over the discriminator's decision surface D(x) (heat map), the true
    modes (crosses), and the mode-coverage score, at one snapshot ``{"step", "G", "D"}`` (state
    dicts loaded into ``G`` and ``D``, which are modules of the right shape)."""
    from labkit.data.mixtures import mixture_modes
    from labkit.gan.metrics import mode_coverage

    idx = len(snapshots) - 1 if step_index == -1 else step_index
    s = _index(snapshots, idx)
    if G is None or D is None:
        raise ValueError("pass G= and D= modules to load the snapshot into")
    G.load_state_dict(s["G"]), D.load_state_dict(s["D"])
    G.eval(), D.eval()
    x = G.sample(n, torch.Generator().manual_seed(seed)).numpy()
    r = mode_coverage(x, mixture)
    lim = _lim(mixture)
    xs, p = decision_surface(D, lim)
    plt = pyplot()
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(4.6, 4.0))
    im = ax.pcolormesh(xs, xs, p, cmap="RdBu_r", vmin=0, vmax=1, shading="auto")
    means, _ = mixture_modes(mixture)
    ax.scatter(x[:, 0], x[:, 1], s=2, c="k", alpha=0.5, label="G(z)")
    ax.scatter(means[:, 0], means[:, 1], marker="x", c="yellow", s=30, label="modes")
    ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("x1"), ax.set_ylabel("x2")
    ax.set_title(
        title
        or f"step {s['step']}: {r['modes']}/{r['n_modes']} modes, "
        f"{100 * r['hq']:.0f}% high quality",
        fontsize=9,
    )
    if own:
        fig.colorbar(im, ax=ax, label="D(x) = P(real)", shrink=0.8)
        fig.tight_layout()
        return fig
    return ax


def plot_mixture_runs(runs: dict, mixture: str, n: int = 2500, seed: int = 0):
    """Side by side: the final samples of several runs ``{name: (G, D)}`` with their scores."""
    from labkit.data.mixtures import mixture_modes, sample_mixture
    from labkit.gan.metrics import mode_coverage

    plt = pyplot()
    fig, axes = plt.subplots(1, len(runs) + 1, figsize=(3.3 * (len(runs) + 1), 3.4))
    means, _ = mixture_modes(mixture)
    lim = _lim(mixture)
    items = [("real data", None)] + list(runs.items())
    for ax, (name, G) in zip(axes, items):
        if G is None:
            x = sample_mixture(mixture, n, seed=seed).numpy()
        else:
            with torch.no_grad():
                x = G.sample(n, torch.Generator().manual_seed(seed)).numpy()
        r = mode_coverage(x, mixture)
        ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.5)
        ax.scatter(means[:, 0], means[:, 1], marker="x", c="C3", s=25)
        ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_title(
            f"{name}\n{r['modes']}/{r['n_modes']} modes, {100 * r['hq']:.0f}% HQ", fontsize=9
        )
    axes[0].set_ylabel("x2")
    fig.tight_layout()
    return fig


# ---- sections 3-4: images --------------------------------------------------------------------
def _to01(x):
    return ((x.detach().cpu().float() + 1) / 2).clamp(0, 1)


def render_epoch_samples(snapshots, epoch_index: int = 0, nrow: int = 8):
    """The same fixed batch of z through the generator after each epoch (``{"epoch", "images"}``
    with images in [0, 1])."""
    s = _index(snapshots, epoch_index)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4.2 * np.ceil(len(s["images"]) / nrow) / nrow + 0.4))
    ax.imshow(image_grid(s["images"], nrow), interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"after epoch {s['epoch']} (same z every epoch)", fontsize=9)
    return fig


@torch.no_grad()
def render_interpolation(
    G, z0: torch.Tensor, z1: torch.Tensor, t: float = 0.5, method: str = "linear"
):
    """G(interp(z0, z1, t)) for each row pair of (z0, z1): linear or spherical interpolation.
    Below: the norm of the interpolated z (linear interpolation shrinks it mid-way, where
    Gaussian latents almost never are)."""
    from labkit.gan.models import lerp, slerp

    if method not in ("linear", "spherical"):
        raise ValueError(f"method must be 'linear' or 'spherical', got {method!r}")
    f = lerp if method == "linear" else slerp
    G.eval()
    z = f(z0, z1, float(t))
    imgs = _to01(G(z))
    ts = np.linspace(0, 1, 21)
    norms = {
        m: [fn(z0, z1, float(u)).norm(dim=1).mean().item() for u in ts]
        for m, fn in (("linear", lerp), ("spherical", slerp))
    }
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 2.6), gridspec_kw={"width_ratios": [2.2, 1]})
    a1.imshow(image_grid(imgs, nrow=len(imgs)), interpolation="nearest")
    a1.set_axis_off()
    a1.set_title(f"{method} interpolation, t = {t:.2f}", fontsize=9)
    for m, v in norms.items():
        a2.plot(ts, v, label=m)
    a2.axvline(t, color="k", ls=":")
    a2.set_xlabel("t"), a2.set_ylabel("mean |z|")
    a2.legend(fontsize=8)
    fig.tight_layout()
    return fig


@torch.no_grad()
def render_perturbation(G, z: torch.Tensor, labels=None, **offsets):
    """Add ``offsets`` (keywords ``dim0=..``, ``dim1=..``) to latent dimensions of a fixed batch
    ``z`` and show G(z + offset)."""
    z = z.clone()
    for k, v in offsets.items():
        if not k.startswith("dim"):
            raise ValueError(f"offsets are named dim<i>, got {k!r}")
        z[:, int(k[3:])] += float(v)
    G.eval()
    imgs = _to01(G(z, labels) if labels is not None else G(z))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 1.3))
    ax.imshow(image_grid(imgs, nrow=len(imgs)), interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(
        ", ".join(f"z[{k[3:]}] += {float(v):+.1f}" for k, v in offsets.items()), fontsize=9
    )
    return fig


@torch.no_grad()
def render_conditional(
    G, digit: int = 0, z_base: torch.Tensor | None = None, classifier=None, **zs
):
    """8 samples of the requested ``digit`` from a conditional generator; sliders set latent
    dimensions ``z0, z1, ...`` shared by all 8; the judge classifier's reading is on top."""
    if z_base is None:
        z_base = G.sample_latent(8, torch.Generator().manual_seed(0))
    z = z_base.clone()
    for k, v in zs.items():
        z[:, int(k[1:])] = float(v)
    labels = torch.full((len(z),), int(digit), dtype=torch.long, device=z.device)
    G.eval()
    imgs = _to01(G(z, labels))
    plt = pyplot()
    fig, axes = plt.subplots(1, len(imgs), figsize=(1.0 * len(imgs), 1.5))
    preds = classifier(imgs).argmax(1).tolist() if classifier is not None else [None] * len(imgs)
    for ax, im, p in zip(axes, imgs, preds):
        ax.imshow(im[0], cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        if p is not None:
            ax.set_title(f"read: {p}", fontsize=8, color="C2" if p == digit else "C3")
    fig.suptitle(f"requested digit {digit}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_per_label_accuracy(result: dict, title: str = "judge accuracy per requested digit"):
    """Bar chart of :func:`labkit.gan.metrics.conditional_accuracy`'s per-label accuracy."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 2.6))
    d = sorted(result["per_label"])
    ax.bar(d, [100 * result["per_label"][k] for k in d])
    ax.axhline(
        100 * result["accuracy"],
        color="C3",
        ls="--",
        label=f"overall {100 * result['accuracy']:.1f}%",
    )
    ax.set_xticks(d)
    ax.set_xlabel("requested digit"), ax.set_ylabel("classified as requested (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_pix2pix(
    inputs, outputs, targets, n: int = 8, titles=("input (edges)", "pix2pix output", "target")
):
    """Rows: input, output, target (images in [0, 1])."""
    plt = pyplot()
    rows = [torch.as_tensor(r[:n]).detach().cpu().float() for r in (inputs, outputs, targets)]
    fig, axes = plt.subplots(len(rows), 1, figsize=(1.0 * n, 1.25 * len(rows)))
    for ax, r, t in zip(axes, rows, titles):
        ax.imshow(image_grid(r, nrow=n), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(t, fontsize=9)
    fig.tight_layout()
    return fig
