"""Checks of notebook 04b (VAE likelihood), at the path notebooks and the grader use.
They live in ``labkit.vae.likelihood_checks``."""

from labkit.vae.likelihood_checks import grid_log_px, iw_estimate, log_weights  # noqa: F401
