"""Densities, discriminative vs generative models, Bayes' rule (notebook 00b).

Everything here works on small 2-D data that can be plotted, plus a few MNIST helpers:

* toy data: :func:`make_toy` (three labelled classes), :func:`far_points` (outliers);
* models (scikit-learn): :func:`fit_classifier` (P(y|x)), :func:`fit_density` (P(x)),
  :func:`fit_class_densities` (P(x|y)), :func:`class_priors` (P(y));
* a grid over the plane: :class:`Grid` with ``integrate`` (midpoint rule),
  :func:`normalise_on_grid`, :func:`add_mass`, :func:`sample_from_grid`,
  :func:`tv_distance`;
* rejecting outliers: :func:`abstain_predict`, :func:`abstention_report`;
* MNIST: :func:`stroke_images`, :func:`letter_images`, :func:`noise_images`, :class:`PCADensity`,
  :func:`fit_image_classifier`, :func:`auroc`; :class:`ArrayMLP` and ``PCADensity.from_state``
  rebuild the shipped full-size reference (``labkit.data.reference.reference_density_mnist``).

Shapes: points ``X`` are ``(N, 2)``; a quantity on a grid is a flat ``(M,)`` array
(``M = ny * nx``), or ``(M, K)`` for K classes; ``Grid.image(v)`` reshapes it to ``(ny, nx)``
for plotting.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

ABSTAIN = -1


def one_blas_thread(fn):
    """Run ``fn`` with one BLAS/OpenMP thread: these models are small, and on a shared or 2-core
    machine two threads fighting over the cores are many times slower than one."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------- data -------------------------


def _check_points(X, name="X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name} must be 2-D points of shape (N, 2); got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf: remove or fix those rows")
    return X


def make_toy(n: int = 600, seed: int = 0):
    """Three labelled classes in the plane (section 1): a tilted blob, a half moon, a round blob.

    Returns ``X (n, 2) float64`` and ``y (n,) int64`` with classes of (nearly) equal size.
    """
    if n < 3:
        raise ValueError(f"n must be at least 3 (one point per class); got {n}")
    rng = np.random.default_rng(seed)
    sizes = [n // 3 + (i < n % 3) for i in range(3)]
    a = rng.multivariate_normal([-1.8, -0.9], [[0.6, 0.35], [0.35, 0.6]], sizes[0])
    t = rng.uniform(0.1 * np.pi, 0.95 * np.pi, sizes[1])  # half moon
    b = np.c_[1.7 + 1.5 * np.cos(t), -1.5 + 1.5 * np.sin(t)] + 0.3 * rng.standard_normal(
        (sizes[1], 2)
    )
    c = rng.normal([-0.2, 1.9], 0.6, (sizes[2], 2))
    X = np.concatenate([a, b, c])
    y = np.repeat(np.arange(3), sizes)
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def far_points(n: int = 200, seed: int = 0, radius=(5.5, 7.5)):
    """Points far from every class of :func:`make_toy`: uniform on a ring around the origin."""
    lo, hi = radius
    if not 0 <= lo < hi:
        raise ValueError(f"radius must be (inner, outer) with 0 <= inner < outer; got {radius}")
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(lo**2, hi**2, n))
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[r * np.cos(a), r * np.sin(a)]


# ---------------------------------------------------------------- models -----------------------


@one_blas_thread
def fit_classifier(X, y, kind: str = "logreg", seed: int = 0):
    """A discriminative model P(y|x) (scikit-learn): ``"logreg"`` or a small ``"mlp"``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    X = _check_points(X) if np.asarray(X).shape[-1] == 2 else np.asarray(X)
    if kind == "logreg":
        clf = LogisticRegression(C=10.0, max_iter=2000)
    elif kind == "mlp":
        clf = MLPClassifier((32, 32), max_iter=1500, random_state=seed)
    else:
        raise ValueError(f"kind must be 'logreg' or 'mlp'; got {kind!r}")
    return clf.fit(X, y)


@one_blas_thread
def fit_density(
    X, kind: str = "gmm", n_components: int = 6, bandwidth: float = 0.35, seed: int = 0
):
    """A generative model P(x): a Gaussian mixture (``"gmm"``) or a kernel density (``"kde"``).

    Both have ``score_samples(X) -> log p(x)`` (natural log, per point)."""
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import KernelDensity

    X = _check_points(X)
    if kind == "gmm":
        if n_components > len(X):
            raise ValueError(f"n_components={n_components} is more than the {len(X)} points")
        return GaussianMixture(n_components, covariance_type="full", random_state=seed).fit(X)
    if kind == "kde":
        return KernelDensity(bandwidth=bandwidth).fit(X)
    raise ValueError(f"kind must be 'gmm' or 'kde'; got {kind!r}")


@one_blas_thread
def fit_class_densities(X, y, **kw) -> list:
    """One density model P(x|y=k) per class k = 0..K-1 (conditional generative model)."""
    X, y = _check_points(X), np.asarray(y)
    classes = np.unique(y)
    if not np.array_equal(classes, np.arange(len(classes))):
        raise ValueError(f"labels must be 0..K-1; got {classes}")
    kw.setdefault("n_components", 3)
    return [fit_density(X[y == k], **kw) for k in classes]


def class_priors(y, n_classes: int | None = None) -> np.ndarray:
    """P(y): the fraction of each label, shape ``(K,)``."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y < 0).any():
        raise ValueError("y must be a 1-D array of non-negative integer labels")
    return np.bincount(y, minlength=n_classes or 0) / len(y)


@one_blas_thread
def log_density(model, X) -> np.ndarray:
    """log p(x) of a fitted density model at points ``X (N, 2)`` -> ``(N,)``."""
    return model.score_samples(_check_points(X))


# ---------------------------------------------------------------- grid --------------------------


@dataclass
class Grid:
    """Cell centres of a regular grid over ``[x0, x1] x [y0, y1]`` with ``nx * ny`` cells."""

    x0: float = -8.0
    x1: float = 8.0
    y0: float = -8.0
    y1: float = 8.0
    nx: int = 161
    ny: int = 161

    def __post_init__(self):
        if self.x1 <= self.x0 or self.y1 <= self.y0 or self.nx < 2 or self.ny < 2:
            raise ValueError(
                f"bad grid {self}: need x1 > x0, y1 > y0 and at least 2 cells per axis"
            )
        self.dx = (self.x1 - self.x0) / self.nx
        self.dy = (self.y1 - self.y0) / self.ny
        self.xs = self.x0 + (np.arange(self.nx) + 0.5) * self.dx
        self.ys = self.y0 + (np.arange(self.ny) + 0.5) * self.dy
        XX, YY = np.meshgrid(self.xs, self.ys)  # (ny, nx) each
        self.points = np.c_[XX.ravel(), YY.ravel()]  # (M, 2), M = ny * nx

    @property
    def cell_area(self) -> float:
        return self.dx * self.dy

    @property
    def extent(self):
        return (self.x0, self.x1, self.y0, self.y1)

    def _flat(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        if v.shape[0] != len(self.points):
            raise ValueError(
                f"values must have {len(self.points)} rows (one per grid cell); got shape {v.shape}"
            )
        return v

    def integrate(self, values):
        """Midpoint rule: sum of values times the cell area (per column for ``(M, K)``)."""
        return self._flat(values).sum(axis=0) * self.cell_area

    def image(self, values) -> np.ndarray:
        """``(M,)`` -> ``(ny, nx)`` for ``imshow(origin="lower", extent=grid.extent)``."""
        return self._flat(values).reshape(self.ny, self.nx)


@one_blas_thread
def density_on_grid(model, grid: Grid) -> np.ndarray:
    """p(x) at every cell centre, ``(M,)``."""
    return np.exp(model.score_samples(grid.points))


@one_blas_thread
def class_probs_on_grid(clf, grid: Grid) -> np.ndarray:
    """P(y|x) at every cell centre, ``(M, K)``."""
    return clf.predict_proba(grid.points)


def normalise_on_grid(values, grid: Grid) -> np.ndarray:
    """Divide non-negative values by their integral over the grid, so they integrate to 1."""
    v = grid._flat(values)
    if (v < 0).any() or not np.isfinite(v).all():
        raise ValueError("a density must be finite and non-negative everywhere")
    total = grid.integrate(v)
    if total <= 0:
        raise ValueError("values integrate to 0 over the grid: nothing to normalise")
    return v / total


def gaussian_bump(grid: Grid, center, width: float = 0.4) -> np.ndarray:
    """An isotropic Gaussian density at ``center``, normalised on the grid, ``(M,)``."""
    d2 = ((grid.points - np.asarray(center, dtype=np.float64)) ** 2).sum(1)
    return normalise_on_grid(np.exp(-0.5 * d2 / width**2), grid)


def add_mass(p, grid: Grid, center, weight: float, width: float = 0.4) -> np.ndarray:
    """Put a fraction ``weight`` of the probability mass in a bump at ``center``.

    The result is ``(1 - weight) p + weight bump``: still a density (integral 1), so every
    other place loses density in proportion (section 3)."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must be in [0, 1]; got {weight}")
    return (1 - weight) * normalise_on_grid(p, grid) + weight * gaussian_bump(grid, center, width)


def tv_distance(p, q, grid: Grid) -> float:
    """Total variation distance 1/2 * integral |p - q| (0: same density, 1: no overlap)."""
    return float(0.5 * grid.integrate(np.abs(grid._flat(p) - grid._flat(q))))


def sample_from_grid(p, grid: Grid, n: int, seed: int = 0) -> np.ndarray:
    """Draw ``n`` points from a density given on the grid: pick a cell with probability
    p * cell_area (renormalised), then a uniform position inside that cell. ``(n, 2)``."""
    w = grid._flat(p)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError("p must be finite, non-negative and not all zero")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(w), size=n, p=w / w.sum())
    jitter = (rng.random((n, 2)) - 0.5) * [grid.dx, grid.dy]
    return grid.points[idx] + jitter


def region_masses(p, grid: Grid, regions, n_regions: int) -> np.ndarray:
    """Mass of ``p`` inside each region label ``regions (M,)`` in 0..n_regions-1."""
    return np.bincount(
        np.asarray(regions), weights=grid._flat(p) * grid.cell_area, minlength=n_regions
    )


# ---------------------------------------------------------------- abstention -------------------


def abstain_predict(proba, log_px, threshold: float) -> np.ndarray:
    """The most probable label, or ``ABSTAIN`` (-1) where log p(x) < threshold.
    ``(N, K), (N,) -> (N,)``."""
    proba, log_px = np.asarray(proba), np.asarray(log_px)
    if proba.ndim != 2 or log_px.shape != (proba.shape[0],):
        raise ValueError(
            f"proba must be (N, K) and log_px (N,); got {proba.shape} and {log_px.shape}"
        )
    return np.where(log_px < threshold, ABSTAIN, proba.argmax(1))


def abstention_report(pred, y=None) -> dict:
    """``abstained`` (fraction), and for labelled points ``accuracy`` (all points, an abstention
    counts as wrong) and ``accuracy_accepted`` (among the points not rejected)."""
    pred = np.asarray(pred)
    keep = pred != ABSTAIN
    out = {"n": int(len(pred)), "abstained": float(1 - keep.mean()) if len(pred) else 0.0}
    if y is not None:
        y = np.asarray(y)
        out["accuracy"] = float((pred == y).mean())
        out["accuracy_accepted"] = (
            float((pred[keep] == y[keep]).mean()) if keep.any() else float("nan")
        )
    return out


# ---------------------------------------------------------------- MNIST ------------------------


def _as_batch(imgs) -> np.ndarray:
    x = np.asarray(imgs.detach().cpu() if hasattr(imgs, "detach") else imgs, dtype=np.float32)
    return x.reshape(len(x), 1, 28, 28)


def _fit_box(img, rng, box: int = 20):
    """Crop a PIL image to its ink, scale the longer side to ``box`` pixels (as MNIST does),
    paste it centred (+-1 px) in 28x28 and return a float array in [0, 1]."""
    from PIL import Image, ImageFilter

    crop = img.crop(img.getbbox() or (0, 0) + img.size).filter(ImageFilter.GaussianBlur(1))
    s = box / max(crop.size)
    crop = crop.resize(
        (max(1, round(crop.size[0] * s)), max(1, round(crop.size[1] * s))), Image.LANCZOS
    )
    canvas = Image.new("L", (28, 28), 0)
    dx, dy = rng.integers(-1, 2, 2)
    canvas.paste(crop, ((28 - crop.size[0]) // 2 + dx, (28 - crop.size[1]) // 2 + dy))
    a = np.asarray(canvas, np.float32)
    return np.clip(a / max(a.max(), 1e-6), 0, 1)


def stroke_images(n: int = 200, seed: int = 0) -> np.ndarray:
    """Letter-like strokes: random polylines of 2-4 segments with a pen about as wide as
    MNIST's, scaled into a 20x20 box like MNIST digits. ``(n, 1, 28, 28) float32`` in [0, 1]."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    out = np.zeros((n, 1, 28, 28), np.float32)
    for i in range(n):
        img = Image.new("L", (100, 100), 0)
        pts = [tuple(rng.uniform(10, 90, 2)) for _ in range(rng.integers(3, 6))]
        ImageDraw.Draw(img).line(pts, fill=255, width=int(rng.integers(9, 13)), joint="curve")
        out[i, 0] = _fit_box(img, rng)
    return out


LETTERS = (
    "ACEFGHJKLMNPRTUVWXYacefhkmnrtuvwxy"  # skips letters that look like digits (O, I, S, Z, B, ...)
)


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()  # small bitmap font (scaled up later)


def letter_images(n: int = 200, seed: int = 0, letters: str = LETTERS) -> np.ndarray:
    """Rendered letters (Pillow's default font), scaled into a 20x20 box like MNIST digits.
    ``(n, 1, 28, 28) float32`` in [0, 1]."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    font = _font(64)
    out = np.zeros((n, 1, 28, 28), np.float32)
    for i in range(n):
        img = Image.new("L", (100, 100), 0)
        ch = letters[rng.integers(len(letters))]
        if isinstance(font, ImageFont.FreeTypeFont):
            ImageDraw.Draw(img).text(
                (12, 0),
                ch,
                fill=255,
                font=font,
                stroke_width=int(rng.integers(0, 3)),
                stroke_fill=255,
            )
        else:  # bitmap font: no stroke width
            ImageDraw.Draw(img).text((12, 12), ch, fill=255, font=font)
        out[i, 0] = _fit_box(img, rng)
    return out


def noise_images(n: int = 200, seed: int = 0, kind: str = "uniform") -> np.ndarray:
    """Noise ``(n, 1, 28, 28)`` in [0, 1]: ``"uniform"`` pixels, or ``"blobs"`` (blurred
    sparse noise, darker and smoother, a harder case)."""
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.random((n, 1, 28, 28)).astype(np.float32)
    if kind == "blobs":
        from PIL import Image, ImageFilter

        x = (rng.random((n, 28, 28)) < 0.08).astype(np.uint8) * 255
        x = np.stack(
            [
                np.asarray(Image.fromarray(a).filter(ImageFilter.GaussianBlur(1.2)), np.float32)
                for a in x
            ]
        )
        x /= np.maximum(x.max((1, 2), keepdims=True), 1e-6)
        return x[:, None].astype(np.float32)
    raise ValueError(f"kind must be 'uniform' or 'blobs'; got {kind!r}")


class PCADensity:
    """A simple density for images: PCA to ``n_components`` dimensions, a Gaussian mixture there,
    and an isotropic Gaussian for the residual (PCA's noise variance), so ``score_samples`` is
    log p(x) in nats over all 784 pixel values. ``n_mixture=1`` is probabilistic PCA.

    A fitted model is plain arrays (``state()``; ``PCADensity.from_state`` rebuilds it): that is
    how notebook 00b's full-size reference ships."""

    def __init__(self, n_components: int = 40, n_mixture: int = 1, seed: int = 0):
        self.n_components, self.n_mixture, self.seed = n_components, n_mixture, seed

    @one_blas_thread
    def fit(self, images):
        from sklearn.decomposition import PCA
        from sklearn.mixture import GaussianMixture

        X = _as_batch(images).reshape(len(images), -1).astype(np.float64)
        pca = PCA(self.n_components, random_state=self.seed).fit(X)
        gmm = GaussianMixture(
            self.n_mixture, covariance_type="full", reg_covar=1e-4, random_state=self.seed
        ).fit(pca.transform(X))
        self.mean_, self.components_ = pca.mean_, pca.components_  # (784,), (q, 784)
        self.noise_var_ = max(float(pca.noise_variance_), 1e-6)
        self.weights_, self.means_, self.covariances_ = gmm.weights_, gmm.means_, gmm.covariances_
        return self

    _STATE = ("mean_", "components_", "noise_var_", "weights_", "means_", "covariances_")

    def state(self) -> dict:
        """The fitted model as arrays (names of ``_STATE``)."""
        return {k: np.asarray(getattr(self, k)) for k in self._STATE}

    @classmethod
    def from_state(cls, state: dict) -> "PCADensity":
        """Rebuild a fitted model from :meth:`state` (arrays of any float dtype)."""
        m = cls(n_components=len(state["components_"]), n_mixture=len(state["weights_"]))
        for k in cls._STATE:
            setattr(m, k, np.asarray(state[k], dtype=np.float64))
        m.noise_var_ = float(m.noise_var_)
        return m

    @one_blas_thread
    def score_samples(self, images) -> np.ndarray:
        X = _as_batch(images).reshape(len(images), -1).astype(np.float64) - self.mean_
        Z = X @ self.components_.T  # (N, q): PCA coordinates
        resid = ((X - Z @ self.components_) ** 2).sum(1)
        d = X.shape[1] - len(self.components_)
        log_res = -0.5 * (resid / self.noise_var_ + d * np.log(2 * np.pi * self.noise_var_))
        return _gmm_log_density(Z, self.weights_, self.means_, self.covariances_) + log_res


def _gmm_log_density(Z, weights, means, covariances) -> np.ndarray:
    """log of a full-covariance Gaussian mixture at the rows of ``Z`` (N, q)."""
    q = Z.shape[1]
    logs = []
    for w, mu, cov in zip(weights, means, covariances):
        L = np.linalg.cholesky(cov)
        y = np.linalg.solve(L, (Z - mu).T)  # (q, N)
        logs.append(
            np.log(w) - 0.5 * (y**2).sum(0) - np.log(np.diag(L)).sum() - 0.5 * q * np.log(2 * np.pi)
        )
    logs = np.stack(logs)  # (K, N)
    top = logs.max(0)
    return top + np.log(np.exp(logs - top).sum(0))


class ArrayMLP:
    """A fitted scikit-learn ``MLPClassifier`` (ReLU hidden layers, softmax output) as plain
    arrays, with its ``predict_proba`` / ``predict`` / ``score``: how notebook 00b's full-size
    reference classifier ships (``state()``; ``ArrayMLP.from_state`` rebuilds it)."""

    def __init__(self, coefs, intercepts, classes):
        self.coefs_ = [np.asarray(w, dtype=np.float64) for w in coefs]
        self.intercepts_ = [np.asarray(b, dtype=np.float64) for b in intercepts]
        self.classes_ = np.asarray(classes)

    @classmethod
    def from_sklearn(cls, clf) -> "ArrayMLP":
        if clf.activation != "relu" or clf.out_activation_ != "softmax":
            raise ValueError(
                f"ArrayMLP copies ReLU/softmax classifiers; got {clf.activation}/"
                f"{clf.out_activation_}"
            )
        return cls(clf.coefs_, clf.intercepts_, clf.classes_)

    def state(self) -> dict:
        out = {"classes": self.classes_}
        for i, (w, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            out[f"W{i}"], out[f"b{i}"] = w, b
        return out

    @classmethod
    def from_state(cls, state: dict) -> "ArrayMLP":
        n = sum(k.startswith("W") for k in state)
        return cls(
            [state[f"W{i}"] for i in range(n)], [state[f"b{i}"] for i in range(n)], state["classes"]
        )

    def predict_proba(self, X) -> np.ndarray:
        h = np.asarray(X, dtype=np.float64)
        for w, b in zip(self.coefs_[:-1], self.intercepts_[:-1]):
            h = np.maximum(h @ w + b, 0.0)
        logits = h @ self.coefs_[-1] + self.intercepts_[-1]
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]

    def score(self, X, y) -> float:
        return float((self.predict(X) == np.asarray(y)).mean())


def flatten_images(images) -> np.ndarray:
    """``(N, 1, 28, 28)`` tensor or array -> ``(N, 784) float32``."""
    return _as_batch(images).reshape(len(images), -1)


def fit_image_classifier(
    images, labels, seed: int = 0, max_iter: int = 40, threads: int | None = 1
):
    """A small MLP digit classifier on raw pixels (scikit-learn), P(y|x) for section 6."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(threads):  # 1 thread: faster for a small MLP
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((128,), max_iter=max_iter, random_state=seed).fit(
            flatten_images(images), np.asarray(labels)
        )


def _as_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def _scores_labels(scores, labels):
    s, y = _as_numpy(scores).astype(np.float64).ravel(), _as_numpy(labels).ravel()
    if s.shape != y.shape:
        raise ValueError(f"scores ({s.shape}) and labels ({y.shape}) must have the same length")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("labels must be 0 (negative, e.g. normal) or 1 (positive, e.g. anomaly)")
    if y.min() == y.max():
        raise ValueError("labels need both classes (0 = negative and 1 = positive) for a ROC curve")
    return s, y.astype(bool)


def roc_curve(scores, labels):
    """False and true positive rates for every threshold (higher score = more likely positive).
    Returns ``(fpr, tpr)`` numpy arrays from (0, 0) to (1, 1); ties are handled as one step."""
    s, y = _scores_labels(scores, labels)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each distinct score
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]]


def auroc(scores, labels) -> float:
    """Area under the ROC curve = P(score of a random positive > score of a random negative),
    ties counting one half (the Mann-Whitney U statistic). ``labels``: 1 = positive (the sample the
    score should rank higher: an anomaly for an anomaly score, a digit for log p(x)), 0 = negative.
    1 = perfect, 0.5 = chance, below 0.5 = the score ranks the negatives higher."""
    s, y = _scores_labels(scores, labels)
    from scipy.stats import rankdata

    r = rankdata(s)
    n1, n0 = int(y.sum()), int((~y).sum())
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
