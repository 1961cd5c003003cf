"""Self-checks for notebook 02 (Mean Shift): one flat-kernel mean-shift step, merging the modes
(strongest first), and the (colour, position) features of an image's pixels.

Every check builds its cases with its own ``torch.Generator`` (no global reseeding); the
reference answers are computed here privately (never printed)."""

from __future__ import annotations

import numpy as np
import torch

from labkit.checks._core import (
    Hint,
    _to_np,
    exercise,
    expect_close,
    expect_shape,
    expect_true,
    expect_type,
)

__all__ = ["step", "merge", "features"]


# ---------------------------------------------------------------- one step
def _reference(X, S, bw):
    inside = (torch.cdist(S, X) <= bw).double()  # (M, N)
    cnt = inside.sum(1, keepdim=True)
    new = inside @ X / cnt.clamp(min=1)
    return torch.where(cnt > 0, new, S)


@exercise("meanshift-step", "flat kernel, 3 random cases incl. a seed with no neighbour")
def step(fn, seeds=(0, 1, 2)):
    """Check ``fn(X, S, bandwidth) -> S_new``: each seed moves to the mean of the points within
    ``bandwidth`` of it (distance <= bandwidth); a seed with no such point stays where it is."""
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        X = torch.randn(60 + 7 * seed, 2, generator=g, dtype=torch.float64)
        S = torch.cat(
            [
                X[:9] + 0.1 * torch.randn(9, 2, generator=g, dtype=torch.float64),
                torch.tensor([[50.0, 50.0]], dtype=torch.float64),
            ]
        )  # the last seed is alone
        bw = 0.8 + 0.2 * seed
        got = fn(X.clone(), S.clone(), bw)
        expect_type(got, torch.Tensor, "step(X, S, bandwidth)")
        expect_shape(got, S.shape, "step(X, S, bandwidth)")
        want = _reference(X, S, bw)
        g64 = got.double()
        if torch.allclose(g64[:-1], X.mean(0).expand(len(S) - 1, -1)):
            raise Hint(
                "every seed moved to the mean of ALL points; "
                "average only the points within the bandwidth."
            )
        if torch.allclose(g64, want - S):
            raise Hint(
                "this is the mean-shift VECTOR (mean - seed); return the new positions (the mean)."
            )
        if not bool(torch.isfinite(g64[-1]).all()) or not torch.allclose(g64[-1], S[-1]):
            raise Hint(
                "a seed with no point within the bandwidth should stay where it is "
                "(no division by zero)."
            )
        expect_close(got, want, "step(X, S, bandwidth)", rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- merging the modes
def _greedy(modes, order, bw, against_all=False):
    """Keep modes in ``order``; drop one within ``bw`` of a kept one (or of ANY earlier one)."""
    kept, seen = [], []
    for i in order:
        ref = seen if against_all else kept
        if all(float((modes[i] - modes[j]).norm()) > bw for j in ref):
            kept.append(i)
        seen.append(i)
    return modes[kept]


def _merge_cases(seed):
    g = torch.Generator().manual_seed(1000 + seed)
    bw = 1.0 + 0.25 * (seed % 3)
    d = 2 + seed % 2
    # groups of modes around far-apart centres, each group within a bandwidth
    centres = torch.randn(4, d, generator=g, dtype=torch.float64) * 8 * bw
    modes = torch.cat(
        [
            c + 0.3 * bw * torch.randn(2 + k % 3, d, generator=g, dtype=torch.float64)
            for k, c in enumerate(centres)
        ]
    )
    # a chain: A, then B within one bandwidth of A, then C within one of B but not of A
    u = torch.randn(d, generator=g, dtype=torch.float64)
    u = u / u.norm()
    a = 30 * bw * torch.ones(d, dtype=torch.float64)
    chain = torch.stack([a, a + 0.8 * bw * u, a + 1.6 * bw * u])
    modes = torch.cat([modes, chain])
    strength = torch.randperm(len(modes) + 20, generator=g)[: len(modes)].double() + 1
    strength[-3:] = torch.tensor(
        [3.0 * len(modes) + 30, 2.0 * len(modes) + 20, len(modes) + 10.0]
    )  # A > B > C
    perm = torch.randperm(len(modes), generator=g)  # weak and strong modes mixed
    return modes[perm], strength[perm], bw


@exercise("meanshift-merge", "random groups of nearby modes and a chain A-B-C, 2 and 3 dimensions")
def merge(fn, seeds=(0, 1)):
    """Check ``fn(modes (M, D), intensity (M,), bandwidth) -> centres (K, D)``: visit the modes
    strongest first; keep a mode unless it lies within ``bandwidth`` (distance <= bandwidth) of a
    mode already kept. Return the kept modes, strongest first."""
    for seed in seeds:
        modes, strength, bw = _merge_cases(seed)
        got = fn(modes.clone(), strength.clone(), bw)
        expect_type(got, torch.Tensor, "merge_modes(modes, intensity, bandwidth)")
        expect_true(
            got.ndim == 2 and got.shape[1] == modes.shape[1],
            f"merge_modes should return the kept modes as a (K, {modes.shape[1]}) tensor; "
            f"got shape {tuple(got.shape)}.",
        )
        order = torch.argsort(strength, descending=True, stable=True).tolist()
        want = _greedy(modes, order, bw)
        g64 = got.double()
        if g64.shape == want.shape and torch.allclose(g64, want):
            continue
        if len(got) == len(modes):
            raise Hint(
                "nothing was merged: every mode within one bandwidth of a stronger kept mode "
                "must go."
            )
        if g64.shape == want.shape and _same_rows(g64, want):
            raise Hint("the right modes, in the wrong order: return them strongest first.")
        if len(got) < len(want) and _same_rows(g64, _greedy(modes, order, bw, against_all=True)):
            raise Hint(
                "too many modes were dropped: a mode that was itself merged away removes nothing; "
                "compare each mode only with the modes you have KEPT so far."
            )
        for wrong in (list(range(len(modes))), order[::-1]):
            w = _greedy(modes, wrong, bw)
            if g64.shape == w.shape and (_same_rows(g64, w)):
                raise Hint(
                    "the modes were not visited strongest first: the order decides which mode of a "
                    "group survives; sort by intensity, the largest first."
                )
        raise Hint(
            f"kept {len(got)} modes, expected {len(want)}: keep a mode only when no KEPT mode "
            "is within one bandwidth (distance <= bandwidth) of it."
        )


def _same_rows(a, b):
    if a.shape != b.shape:
        return False
    d = torch.cdist(a, b)
    return bool((d.min(1).values < 1e-8).all() and (d.min(0).values < 1e-8).all())


# ---------------------------------------------------------------- pixel features
def _features(image, spatial):
    H, W, _ = image.shape
    rows, cols = np.mgrid[0:H, 0:W] / max(H, W)
    return np.c_[image.reshape(-1, 3), spatial * rows.ravel(), spatial * cols.ravel()]


@exercise("meanshift-features", "non-square images (tall and wide), two spatial weights")
def features(fn, seed: int = 0):
    """Check ``fn(image (H, W, 3), spatial) -> (H*W, 5)``: per pixel, in row-major order,
    (r, g, b, spatial * row / S, spatial * col / S) with S = max(H, W)."""
    rng = np.random.default_rng(2000 + seed)
    for H, W, spatial in ((4 + seed % 3, 7, 0.5), (9, 3 + seed % 2, 2.0 + seed)):
        image = rng.random((H, W, 3))
        got = fn(image.copy(), spatial)
        expect_type(
            got, (np.ndarray, torch.Tensor), f"pixel_features(image {image.shape}, {spatial})"
        )
        g = _to_np(got).astype(np.float64)
        expect_true(
            g.shape != (H, W, 5),
            f"return one ROW per pixel, shape ({H * W}, 5), not an image-shaped array {g.shape}.",
        )
        expect_shape(g, (H * W, 5), f"pixel_features(image {image.shape}, {spatial})")
        want = _features(image, spatial)
        if np.allclose(g, want, atol=1e-9):
            continue
        if not np.allclose(g[:, :3], want[:, :3]):
            raise Hint(
                "the first three columns should be the pixel's colour, pixels in row-major order "
                "(row by row, each row from left to right)."
            )
        pos, wpos = g[:, 3:], want[:, 3:]
        if np.allclose(pos, wpos[:, ::-1]):
            raise Hint(
                "the position columns are swapped: the 4th is the row (down), "
                "the 5th the column (across)."
            )
        if np.allclose(pos * max(H, W), wpos * max(H, W) / spatial) and spatial != 1:
            raise Hint(f"the positions are not multiplied by the spatial weight ({spatial}).")
        if np.allclose(pos, wpos * max(H, W)):
            raise Hint(
                "the positions are in pixels: divide them by the image's longer side, so that they "
                "live on the same scale as the colours."
            )
        sc = np.array([max(H, W) / max(H - 1, 1), max(H, W) / max(W - 1, 1)])
        if np.allclose(pos * np.array([H, W]) / max(H, W), wpos) or np.allclose(pos / sc, wpos):
            raise Hint(
                "rows and columns are divided by different lengths, which stretches the image; "
                "divide both by the same length (the longer side)."
            )
        expect_close(
            g, want, f"pixel_features(image {image.shape}, {spatial})", rtol=1e-6, atol=1e-9
        )
