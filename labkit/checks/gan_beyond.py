"""Checks of notebook 05b (beyond the GAN), at the path notebooks and the grader use.
They live in ``labkit.gan.beyond_checks``."""
from labkit.gan.beyond_checks import fade_in, cycle_loss, identity_loss  # noqa: F401
