"""Checks of notebook 02 (Mean Shift), at the path notebooks and the grader use.
They live in ``labkit.cluster.meanshift_checks``."""

from labkit.cluster.meanshift_checks import features, merge, step  # noqa: F401
