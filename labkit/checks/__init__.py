"""Student self-checks, one module per notebook: ``labkit.checks.<notebook>.<exercise>(...)``."""

from ._core import (  # noqa: F401
    CheckFailed,
    Hint,
    exercise,
    expect_close,
    expect_dtype,
    expect_finite,
    expect_shape,
    expect_true,
    expect_type,
    grading_mode,
    rel_error,
)
