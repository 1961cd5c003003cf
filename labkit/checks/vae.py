"""Checks of notebook 04 (autoencoders, VAE), at the path notebooks and the grader use.
They live in ``labkit.vae.checks``."""
from labkit.vae.checks import reparameterize, kl_divergence, elbo, anomaly_scores  # noqa: F401
