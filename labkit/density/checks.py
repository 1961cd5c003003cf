"""Self-checks for notebook 00b (discriminative vs generative models, densities, Bayes' rule).

``labkit.checks.density.normalise(fn)``, ``.bayes(fn)``, ``.abstain(fn)``: each runs the student's
function on small random cases and prints a pass or a hint.
"""

from __future__ import annotations

import numpy as np

from labkit.checks._core import (
    Hint,
    _to_np,
    exercise,
    expect_close,
    expect_dtype,
    expect_shape,
    expect_true,
)


def _cases_normalise(seed):
    rng = np.random.default_rng(seed)
    for m, area in [(50, 0.04), (7, 1.0), (400, 0.0025)]:
        yield rng.gamma(2.0, 1.0, m), area


@exercise("density-normalise", "3 random grids: integral 1, shape and proportions kept")
def normalise(fn, seed: int = 0):
    """``fn(values (M,), cell_area) -> (M,)`` that integrates to 1 (midpoint rule)."""
    for values, area in _cases_normalise(seed):
        orig = values.copy()
        got = _to_np(fn(values, area))
        expect_shape(got, values.shape, "the normalised density")
        expect_true(
            np.array_equal(values, orig),
            "your function changed its input array in place; return a new array instead",
        )
        total = float(np.sum(got) * area)
        if not np.isclose(total, 1.0, rtol=1e-6):
            if np.isclose(np.sum(got), 1.0, rtol=1e-6):
                raise Hint(
                    f"your values sum to 1, but a density must integrate to 1: sum * cell_area "
                    f"= {total:.4g}. Account for the cell area."
                )
            raise Hint(
                f"the result integrates to {total:.4g} (sum of values * cell_area), expected 1."
            )
        expect_close(
            got, values / (values.sum() * area), "the normalised density", rtol=1e-6, atol=1e-9
        )


def _cases_bayes(seed):
    rng = np.random.default_rng(seed)
    for m, k in [(30, 3), (12, 2), (5, 4)]:
        logits = rng.normal(size=(m, k))
        pyx = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        px = rng.gamma(2.0, 0.1, m)
        py = rng.dirichlet(np.full(k, 3.0))
        yield pyx, px, py


@exercise("density-bayes", "3 random cases of P(y|x), P(x), P(y)")
def bayes(fn, seed: int = 0):
    """``fn(p_y_given_x (M, K), p_x (M,), p_y (K,)) -> P(x|y) (M, K)``."""
    for pyx, px, py in _cases_bayes(seed):
        got = _to_np(fn(pyx.copy(), px.copy(), py.copy()))
        m, k = pyx.shape
        if got.shape == (k, m):
            raise Hint(
                f"P(x|y) has shape {got.shape}; expected (M, K) = {(m, k)}: one column per class."
            )
        expect_shape(got, (m, k), "P(x|y)")
        want = pyx * px[:, None] / py[None, :]
        if np.allclose(got, pyx * px[:, None], rtol=1e-5):
            raise Hint(
                "you computed the joint P(y|x) P(x) = P(x, y); divide by P(y) to condition on y."
            )
        if np.allclose(got, pyx * px[:, None] * py[None, :], rtol=1e-5):
            raise Hint("you multiplied by P(y); Bayes' rule divides by it.")
        expect_close(got, want, "P(x|y)", rtol=1e-5, atol=1e-10)


def _cases_abstain(seed):
    rng = np.random.default_rng(seed)
    for n, k in [(40, 3), (9, 2)]:
        proba = rng.dirichlet(np.ones(k), n)
        log_px = rng.normal(-4, 2, n)
        thr = float(np.quantile(log_px, 0.3)) + 1e-3  # no ties with the threshold
        yield proba, log_px, thr


@exercise("density-abstain", "2 random cases, about 30% of the points below the threshold")
def abstain(fn, seed: int = 0):
    """``fn(proba (N, K), log_px (N,), threshold) -> labels (N,)``, -1 where log p(x) <
    threshold."""
    for proba, log_px, thr in _cases_abstain(seed):
        got = _to_np(fn(proba.copy(), log_px.copy(), thr))
        expect_shape(got, log_px.shape, "the predicted labels")
        expect_dtype(got, "int", "the predicted labels")
        low = log_px < thr
        expect_true(
            not np.array_equal(got == -1, ~low) or not low.any(),
            "you abstain on the points ABOVE the threshold; abstain where log p(x) < threshold.",
        )
        n_bad = int((got[low] != -1).sum())
        expect_true(
            n_bad == 0,
            f"{n_bad} of the {int(low.sum())} points with log p(x) below the "
            "threshold got a label; they should get -1 (abstain).",
        )
        wrong = got[~low] != proba[~low].argmax(1)
        expect_true(
            not wrong.any(),
            f"{int(wrong.sum())} accepted points do not get the most probable "
            "class (argmax over classes of P(y|x), axis 1).",
        )
