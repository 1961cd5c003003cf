"""Checks of notebook 05 (GAN), at the path notebooks and the grader use.
They live in ``labkit.gan.checks``."""

from labkit.gan.checks import discriminator_loss, generator_loss, train_step  # noqa: F401
