"""Checks of notebook 04 (autoencoders, VAE), at the path notebooks and the grader use.
They live in ``labkit.vae.checks``."""

from labkit.vae.checks import anomaly_scores, elbo, kl_divergence, reparameterize  # noqa: F401
