"""The machinery behind every self-check: run the student's code on small cases, compare
with tolerances, print a pass or a hint (shape, dtype, sign, off by how much).

Under ``labkit grade`` every test cell runs with a FRESH copy of labkit (all ``labkit*``
modules re-imported from disk just before the cell), so a check must not keep state between
calls, and must not test a student's object with ``isinstance`` against a labkit class (the
class object is new): use torch/numpy types or duck typing. Build the cases inside the check
and compute the reference privately; hidden tests typically call the same check with another
``seed``.

A check never prints the reference solution. For students it prints and returns a bool
(no traceback); in grading mode (``LABKIT_GRADING=1``, set by ``labkit grade``) a failed or
unanswered check raises :class:`CheckFailed` so the test cell scores 0.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable

import numpy as np

PASS, FAIL, TODO = "passed", "failed", "not implemented yet"


class Hint(Exception):
    """Raised inside a check to report what is wrong with the student's answer."""


class CheckFailed(AssertionError):
    """Raised by a check in grading mode; ``status`` is "failed" or "not implemented yet"."""

    def __init__(self, message: str = "", status: str = "failed", exercise: str = ""):
        super().__init__(message)
        self.status, self.exercise = status, exercise


# Set by ``labkit grade`` on the fresh copy of this module it loads before each test cell,
# so the grading decision does not depend on os.environ (which student code can change).
_FORCE_GRADING: bool | None = None


def grading_mode() -> bool:
    """True when checks must raise instead of printing (``LABKIT_GRADING=1`` or the grader)."""
    if _FORCE_GRADING is not None:
        return bool(_FORCE_GRADING)
    from labkit.config import grading_requested

    return grading_requested()


def _to_np(x, name="value"):
    torch = sys.modules.get("torch")  # a tensor implies torch is imported; don't import it here
    if torch is not None and isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    return np.asarray(x)


def rel_error(x, y, eps: float = 1e-10) -> float:
    """max |x - y| / max(|x| + |y|, eps), as in CS231n / EECS 498."""
    x, y = _to_np(x).astype(np.float64), _to_np(y).astype(np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(eps, np.abs(x) + np.abs(y)))) if x.size else 0.0


def expect_type(got, types, what: str):
    if not isinstance(got, types):
        names = (
            types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        )
        raise Hint(f"{what} should be a {names}, got {type(got).__name__}.")


def expect_shape(got, shape, what: str):
    gs = tuple(getattr(got, "shape", np.shape(got)))
    if gs != tuple(shape):
        raise Hint(f"{what} has shape {gs}, expected {tuple(shape)}.")


def expect_dtype(got, kind: str, what: str):
    """kind: 'int', 'float' or 'bool'."""
    arr = _to_np(got)
    ok = {
        "int": np.issubdtype(arr.dtype, np.integer),
        "float": np.issubdtype(arr.dtype, np.floating),
        "bool": arr.dtype == np.bool_,
    }[kind]
    if not ok:
        raise Hint(
            f"{what} has dtype {getattr(got, 'dtype', arr.dtype)}, expected an {kind} dtype."
        )


def expect_finite(got, what: str):
    arr = _to_np(got)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise Hint(f"{what} contains NaN or inf ({int((~np.isfinite(arr)).sum())} values).")


def expect_close(got, want, what: str, rtol: float = 1e-4, atol: float = 1e-5, shape: bool = True):
    """Compare values; the hint says how far off, and spots a flipped sign or a constant factor."""
    g, w = _to_np(got).astype(np.float64), _to_np(want).astype(np.float64)
    if shape:
        expect_shape(g, w.shape, what)
    expect_finite(g, what)
    if np.allclose(g, w, rtol=rtol, atol=atol):
        return
    diff = np.abs(g - w)
    msg = (
        f"{what} is off: max abs error {diff.max():.3g} (tolerance {atol:g} + {rtol:g}*|expected|)"
    )
    if w.size and np.allclose(g, -w, rtol=rtol, atol=atol):
        msg += "; it looks like the sign is flipped"
    else:
        nz = np.abs(w) > 1e-8
        if nz.any():
            ratio = g[nz] / w[nz]
            if np.allclose(ratio, ratio.flat[0], rtol=1e-3) and abs(ratio.flat[0] - 1) > 1e-3:
                msg += (
                    f"; every value is {ratio.flat[0]:.3g} times the expected one "
                    "(a missing mean/sum or factor?)"
                )
    raise Hint(msg + ".")


def expect_true(cond, message: str):
    if not cond:
        raise Hint(message)


def _report(name: str, status: str, detail: str = "") -> bool:
    icon = {PASS: "\u2705", FAIL: "\u274c", TODO: "\u23f3"}[status]
    line = f"{icon} {name}: {status}" + (f" \u2014 {detail}" if detail else "")
    print(line)
    if status != PASS and grading_mode():
        raise CheckFailed(line, status=status, exercise=name)
    return status == PASS


def exercise(name: str, cases: str = ""):
    """Decorator for a check: the body raises :class:`Hint` on a wrong answer.

    ``NotImplementedError`` from the student's code reports "not implemented yet";
    any other exception from it is reported with its type and message.
    """

    def deco(check: Callable):
        @functools.wraps(check)
        def run(*args, **kwargs) -> bool:
            try:
                check(*args, **kwargs)
            except NotImplementedError:
                return _report(
                    name,
                    TODO,
                    "replace `raise NotImplementedError()` with your code, then rerun this cell",
                )
            except Hint as h:
                return _report(name, FAIL, str(h))
            except CheckFailed:
                raise
            except Exception as e:  # the student's function crashed
                return _report(name, FAIL, f"your code raised {type(e).__name__}: {e}")
            return _report(name, PASS, cases)

        run.exercise_name = name
        return run

    return deco
