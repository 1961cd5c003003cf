"""Student self-checks, one module per notebook: ``labkit.checks.<notebook>.<exercise>(...)``."""
from ._core import (CheckFailed, Hint, exercise, expect_close, expect_dtype, expect_finite,  # noqa: F401
                    expect_shape, expect_true, expect_type, grading_mode, rel_error)
