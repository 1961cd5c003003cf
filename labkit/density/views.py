"""Figures and slider views of notebook 00b (discriminative vs generative models).

Pure functions: ``render_*(**params) -> Figure`` (wrapped by ``SliderView``) and ``plot_*``
helpers that draw on the notebook's figures. They take fitted models and a
:class:`labkit.density.models.Grid` explicitly (no globals).
"""

from __future__ import annotations

import numpy as np

from labkit.density import models as D
from labkit.viz import pyplot

CLASS_COLORS = np.array([[0.12, 0.47, 0.71], [1.0, 0.5, 0.05], [0.17, 0.63, 0.17]])  # tab10 0..2
GREY = (0.55, 0.55, 0.55)


def region_image(proba, grid, alpha: float = 0.45) -> np.ndarray:
    """P(y|x) as colour: each cell mixes the class colours by their probabilities,
    ``(ny, nx, 4)``."""
    proba = np.asarray(proba)
    K = proba.shape[1]
    cols = (
        CLASS_COLORS[:K]
        if K <= len(CLASS_COLORS)
        else pyplot().get_cmap("tab10")(np.arange(K))[:, :3]
    )
    rgb = proba @ cols
    rgba = np.c_[rgb, np.full(len(rgb), alpha)]
    return rgba.reshape(grid.ny, grid.nx, 4)


def plot_models(ax, grid, proba=None, px=None, X=None, y=None, levels=6, title=None, s=6):
    """P(y|x) as coloured regions, P(x) as contours (log-spaced levels), and the data."""
    if proba is not None:
        ax.imshow(
            region_image(proba, grid), origin="lower", extent=grid.extent, interpolation="bilinear"
        )
    if px is not None:
        img = grid.image(px)
        top = img.max()
        lv = top * np.logspace(-4, -0.3, levels)
        cs = ax.contour(grid.xs, grid.ys, img, levels=lv, colors="k", linewidths=0.7)
        ax.clabel(cs, fmt=lambda v: f"{v:.0e}" if v < 0.01 else f"{v:.2f}", fontsize=6)
    if X is not None:
        c = CLASS_COLORS[np.asarray(y)] if y is not None else "k"
        ax.scatter(X[:, 0], X[:, 1], c=c, s=s, edgecolors="white", linewidths=0.2)
    ax.set_xlim(grid.x0, grid.x1)
    ax.set_ylim(grid.y0, grid.y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_supervised_vs_unsupervised(X, y):
    """Section 1: the same points with labels (supervised) and without (unsupervised)."""
    fig, axes = pyplot().subplots(1, 2, figsize=(8.5, 4))
    axes[0].scatter(X[:, 0], X[:, 1], c=CLASS_COLORS[y], s=8)
    axes[0].set_title("supervised: pairs (x, y), y = colour")
    axes[1].scatter(X[:, 0], X[:, 1], c="k", s=8)
    axes[1].set_title("unsupervised: only x")
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    fig.tight_layout()
    return fig


def plot_three_models(grid, proba, px, pxy, X, y):
    """Section 2: P(y|x) with P(x) on the same axes, P(x) alone, and P(x|y) per class."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    plot_models(
        axes[0], grid, proba=proba, px=px, X=X, y=y, s=3, title="P(y|x) as colour, P(x) as contours"
    )
    axes[1].imshow(grid.image(px), origin="lower", extent=grid.extent, cmap="Greys")
    plot_models(axes[1], grid, X=X, s=2, title="generative: P(x) (darker = more likely)")
    for k in range(pxy.shape[1]):
        img = grid.image(pxy[:, k])
        axes[2].contour(
            grid.xs,
            grid.ys,
            img,
            levels=img.max() * np.array([0.05, 0.3, 0.7]),
            colors=[CLASS_COLORS[k]],
            linewidths=1.2,
        )
    plot_models(axes[2], grid, X=X, y=y, title="conditional generative: P(x|y) per class", s=3)
    fig.tight_layout()
    return fig


@D.one_blas_thread
def render_add_mass(
    weight: float = 0.3,
    x: float = 4.0,
    y: float = 4.0,
    *,
    p,
    grid,
    regions,
    width: float = 0.5,
    radius: float = 1.5,
):
    """Slider view (section 3): put a fraction ``weight`` of the mass at (x, y); the mass left in
    each class region shrinks by (1 - weight), because the total stays 1."""
    plt = pyplot()
    p0 = D.normalise_on_grid(p, grid)
    p1 = D.add_mass(p0, grid, (x, y), weight, width)
    near = ((grid.points - [x, y]) ** 2).sum(1) < radius**2
    K = int(regions.max()) + 1
    reg = np.where(near, K, regions)  # region K = "near the new point"
    m0, m1 = D.region_masses(p0, grid, reg, K + 1), D.region_masses(p1, grid, reg, K + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    axes[0].imshow(
        grid.image(p1), origin="lower", extent=grid.extent, cmap="magma", vmax=p0.max() * 1.2
    )
    axes[0].add_patch(plt.Circle((x, y), radius, fill=False, color="c", ls="--"))
    axes[0].set_title(
        f"p(x) after adding {weight:.0%} of the mass at ({x:.1f}, {y:.1f})\n"
        f"integral over the grid = {grid.integrate(p1):.3f}",
        fontsize=9,
    )
    axes[0].set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    names = [f"class {k}\nregion" for k in range(K)] + ["near the\nnew point"]
    pos = np.arange(K + 1)
    axes[1].bar(pos - 0.2, m0, 0.4, color=GREY, label="before")
    axes[1].bar(pos + 0.2, m1, 0.4, color=[*CLASS_COLORS[:K], (0, 0.7, 0.8)], label="after")
    axes[1].set_xticks(pos, names)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_ylabel("probability mass")
    axes[1].set_title(
        f"mass per region (total {m1.sum():.3f}): the rest shrinks x{1 - weight:.2f}", fontsize=9
    )
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


@D.one_blas_thread
def render_outlier(
    x: float = 6.0, y: float = -5.0, *, clf, density, grid, threshold, X_train, proba=None, px=None
):
    """Slider view (section 4): a point at (x, y). Left: where it is; middle: the classifier's
    P(y|x) there (labels compete, so one wins even far away); right: log p(x) of the point vs
    the training points' log p(x) and the abstention threshold."""
    plt = pyplot()
    pt = np.array([[x, y]])
    pr = clf.predict_proba(pt)[0]
    lp = float(density.score_samples(pt)[0])
    lp_train = density.score_samples(X_train)
    proba = clf.predict_proba(grid.points) if proba is None else proba
    px = np.exp(density.score_samples(grid.points)) if px is None else px
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9), gridspec_kw={"width_ratios": [1.2, 0.8, 1.1]})
    plot_models(
        axes[0], grid, proba=proba, px=px, X=X_train, s=2, title="the point (star) among the data"
    )
    axes[0].plot([x], [y], marker="*", ms=16, color="red", mec="k")
    axes[1].bar(np.arange(len(pr)), pr, color=CLASS_COLORS[: len(pr)])
    axes[1].set_ylim(0, 1.05)
    axes[1].set_xticks(np.arange(len(pr)))
    axes[1].set_xlabel("class y")
    axes[1].set_ylabel("P(y | x)")
    axes[1].set_title(f"classifier: class {pr.argmax()} with {pr.max():.1%}", fontsize=10)
    lo = min(lp, lp_train.min()) - 1
    axes[2].hist(np.clip(lp_train, lo, None), bins=30, color=GREY, label="training points")
    axes[2].axvline(threshold, color="k", ls="--", label=f"threshold {threshold:.1f}")
    axes[2].axvline(lp, color="red", lw=2, label=f"this point: {lp:.1f}")
    axes[2].set_xlabel("log p(x)  (nats)")
    axes[2].set_ylabel("count")
    verdict = "reject (abstain)" if lp < threshold else "accept"
    axes[2].set_title(f"density model: p(x) = {np.exp(lp):.1e} -> {verdict}", fontsize=10)
    axes[2].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


@D.one_blas_thread
def render_threshold(
    reject: float = 0.02, *, clf, density, grid, X_train, X_test, y_test, X_far, rejects=None
):
    """Slider view (section 4): the abstaining classifier for a threshold that rejects a fraction
    ``reject`` of the training points. Left: where it abstains (grey); right: accuracy on accepted
    test points and abstention on test and far-away points, for every threshold."""
    plt = pyplot()
    rejects = np.linspace(0, 0.3, 31) if rejects is None else np.asarray(rejects)
    lp_tr, lp_te, lp_far = (density.score_samples(a) for a in (X_train, X_test, X_far))
    pr_te, pr_far = clf.predict_proba(X_test), clf.predict_proba(X_far)

    def stats(q):
        t = np.quantile(lp_tr, q)
        te = D.abstention_report(D.abstain_predict(pr_te, lp_te, t), y_test)
        far = D.abstention_report(D.abstain_predict(pr_far, lp_far, t))
        return t, te, far

    t, te, far = stats(reject)
    curves = np.array(
        [
            [s[1]["accuracy_accepted"], s[1]["abstained"], s[2]["abstained"]]
            for s in map(stats, rejects)
        ]
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    keep = density.score_samples(grid.points) >= t
    proba = clf.predict_proba(grid.points)
    img = region_image(proba, grid, alpha=0.55)
    img[~grid.image(keep).astype(bool)] = (*GREY, 0.35)
    axes[0].imshow(img, origin="lower", extent=grid.extent, interpolation="nearest")
    axes[0].scatter(X_test[:, 0], X_test[:, 1], c=CLASS_COLORS[y_test], s=4)
    axes[0].scatter(
        X_far[:, 0], X_far[:, 1], c="k", marker="x", s=10, lw=0.7, label="far-away points"
    )
    axes[0].set_title(
        f"grey: abstain (log p(x) < {t:.2f})\n"
        f"test: acc {te['accuracy_accepted']:.1%} on accepted, abstains {te['abstained']:.1%}"
        f" | far: abstains {far['abstained']:.1%}",
        fontsize=9,
    )
    axes[0].set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    axes[0].legend(fontsize=7, loc="lower left")
    axes[1].plot(rejects, curves[:, 0], label="test: accuracy on accepted")
    axes[1].plot(rejects, curves[:, 1], label="test: fraction abstained")
    axes[1].plot(rejects, curves[:, 2], label="far-away: fraction abstained")
    axes[1].axvline(reject, color="k", ls="--")
    axes[1].set_xlabel("fraction of training points below the threshold")
    axes[1].set_ylabel("fraction")
    axes[1].set_ylim(-0.02, 1.02)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_bayes(grid, p_bayes, p_direct, samples=None, tv=None, lim=(-5, 5, -4.5, 5.5)):
    """Section 5: P(x|y) from Bayes' rule (top) vs fitted directly (bottom), one column per class;
    ``lim`` = (x0, x1, y0, y1) zooms in on the data."""
    plt = pyplot()
    K = p_bayes.shape[1]
    fig, axes = plt.subplots(2, K, figsize=(3.6 * K, 7.4), sharex=True, sharey=True)
    for k in range(K):
        vmax = max(p_bayes[:, k].max(), p_direct[:, k].max())
        for row, (p, name) in enumerate(
            [(p_bayes, "Bayes: P(y|x)P(x)/P(y)"), (p_direct, "fitted P(x|y)")]
        ):
            ax = axes[row, k]
            ax.imshow(
                grid.image(p[:, k]), origin="lower", extent=grid.extent, cmap="viridis", vmax=vmax
            )
            ax.set_title(
                f"y={k}: {name}" + (f"\nTV distance {tv[k]:.3f}" if tv is not None and row else ""),
                fontsize=9,
            )
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
            ax.set_xlim(lim[0], lim[1])
            ax.set_ylim(lim[2], lim[3])
        if samples is not None:
            axes[1, k].scatter(
                *samples[k].T, s=2, c="w", alpha=0.6, label="samples from the Bayes P(x|y)"
            )
            axes[1, k].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_image_sets(sets: dict, n: int = 16):
    """Section 6: the first ``n`` images of each set, one row per set (``(N, 1, 28, 28)`` in
    [0, 1])."""
    plt = pyplot()
    fig, axes = plt.subplots(len(sets), 1, figsize=(n * 0.55, 1.0 * len(sets)), squeeze=False)
    for ax, (name, imgs) in zip(axes[:, 0], sets.items()):
        x = np.asarray(imgs[:n], dtype=np.float32).reshape(-1, 28, 28)
        x = np.pad(x, ((0, 0), (1, 1), (1, 1)), constant_values=1.0)  # white frame
        ax.imshow(
            np.concatenate(list(x), axis=1), cmap="gray", vmin=0, vmax=1, interpolation="nearest"
        )
        ax.set_axis_off()
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_outlier_scores(scores: dict, in_name: str):
    """Section 6: histograms of the classifier's confidence and the density's log p(x) per set."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    cmap = plt.get_cmap("tab10")
    allll = np.concatenate([s["log_px"] for s in scores.values()])
    lo, hi = np.quantile(allll, [0.01, 1.0])
    for i, (name, s) in enumerate(scores.items()):
        kw = dict(
            bins=30,
            alpha=0.55 if name != in_name else 0.9,
            color=cmap(i),
            label=name,
            histtype="stepfilled" if name != in_name else "step",
            lw=2,
            density=True,
        )
        axes[0].hist(s["confidence"], range=(0, 1), **kw)
        axes[1].hist(np.clip(s["log_px"], lo, hi), range=(lo, hi), **kw)
    axes[0].set_xlabel("classifier confidence  max_y P(y|x)")
    axes[1].set_xlabel("log p(x) under PCA + Gaussian (nats, clipped at the 1% quantile)")
    for ax in axes:
        ax.set_ylabel("density of images")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_taxonomy():
    """Section 7: the family tree of the course's models (labels name the notebooks)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(12, 4.4))
    ax.set_axis_off()
    box = dict(boxstyle="round,pad=0.35", fc="#f2f2f2", ec="k", lw=0.8)
    nodes = {
        "root": (0.5, 0.93, "models of data"),
        "sup": (0.12, 0.7, "supervised: P(y|x)\n(discriminative)"),
        "uns": (0.6, 0.7, "unsupervised: no labels"),
        "clu": (0.27, 0.45, "clustering\n01 k-Means, 02 Mean Shift"),
        "seg": (0.06, 0.45, "segmentation\n03 UNet"),
        "exp": (0.5, 0.45, "explicit density p(x)"),
        "imp": (0.84, 0.45, "sampler only\n(implicit density)"),
        "tra": (
            0.3,
            0.13,
            "tractable: p(x) exactly\nGMM, KDE, PPCA: this notebook\n06 PixelCNN (autoregressive)",
        ),
        "app": (0.55, 0.13, "approximate (ELBO)\n04 AE/VAE\n04b VAE likelihood"),
        "gan": (0.75, 0.13, "GAN, one step\n05, 05b"),
        "flow": (0.93, 0.13, "flow matching,\nmany steps\n06"),
    }
    edges = [
        ("root", "sup"),
        ("root", "uns"),
        ("sup", "seg"),
        ("uns", "clu"),
        ("uns", "exp"),
        ("uns", "imp"),
        ("exp", "tra"),
        ("exp", "app"),
        ("imp", "gan"),
        ("imp", "flow"),
    ]
    for a, b in edges:
        (x0, y0, _), (x1, y1, _) = nodes[a], nodes[b]
        ax.annotate(
            "",
            (x1, y1 + 0.09 if b in ("tra", "app", "gan", "flow") else y1 + 0.06),
            (x0, y0 - 0.06),
            arrowprops=dict(arrowstyle="->", lw=0.8),
        )
    for x, y, text in nodes.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=9, bbox=box)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("where each notebook sits", fontsize=10)
    return fig
