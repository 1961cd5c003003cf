"""Checks of notebook 00b (discriminative vs generative), at the path notebooks and the grader use.
They live in ``labkit.density.checks``."""

from labkit.density.checks import abstain, bayes, normalise  # noqa: F401
