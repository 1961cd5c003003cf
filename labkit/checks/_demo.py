"""Two tiny checks for the grading machinery's own tests (tests/grading_fixtures/demo.ipynb)
and a model for lab check modules: build the cases inside the check, compute the reference
privately, raise ``Hint`` naming what is wrong."""

from __future__ import annotations

import numpy as np

from ._core import exercise, expect_close, expect_shape


@exercise("demo-square")
def square(fn, seed: int = 0):
    x = np.random.default_rng(seed).normal(size=5)
    got = fn(x.copy())
    expect_shape(got, x.shape, "square(x)")
    expect_close(got, x * x, "square(x)")


@exercise("demo-center")
def center(fn, seed: int = 0):
    X = np.random.default_rng(seed).normal(size=(6, 3)) + 2.0
    got = fn(X.copy())
    expect_shape(got, X.shape, "center(X)")
    expect_close(got, X - X.mean(axis=0), "center(X)")
