"""Checks of notebook 05b (beyond the GAN), at the path notebooks and the grader use.
They live in ``labkit.gan.beyond_checks``."""

from labkit.gan.beyond_checks import cycle_loss, fade_in, identity_loss  # noqa: F401
