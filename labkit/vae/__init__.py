"""Labs 04 and 04b, autoencoders and VAEs: AE/VAE models and their trainer (``models``), ELBO terms
(``losses``), latent-space and anomaly metrics (``metrics``), slider views (``views``), the exact
and importance-sampled likelihood of lab 04b (``likelihood``, ``likelihood_views``) and the checks
of both labs (``checks``, ``likelihood_checks``, re-exported by ``labkit.checks.vae`` and
``labkit.checks.likelihood``). Notebook 04 imports the names below from ``labkit.vae``; notebook
04b also uses the modules ``labkit.vae.likelihood`` and ``labkit.vae.likelihood_views``."""

from .losses import ae_loss, evaluate_elbo, vae_loss
from .metrics import (
    compare_probes,
    corrupt,
    denoising_errors,
    encode_all,
    gap_profile,
    interpolation_gap,
    pca_fit_transform,
    recon_errors,
)
from .models import AE, VAE, lab_sizes, train_autoencoder
from .views import (
    beta_summary,
    beta_view,
    denoising_view,
    interpolation_view,
    perturbation_view,
    render_beta,
    render_denoising,
    render_gaps,
    render_interpolation_strip,
    render_latent_scatters,
    render_manifold,
    render_probe_bars,
    render_reconstructions,
    render_roc,
    render_samples,
    render_traversal,
)

__all__ = [
    "AE",
    "VAE",
    "ae_loss",
    "beta_summary",
    "beta_view",
    "compare_probes",
    "corrupt",
    "denoising_errors",
    "denoising_view",
    "encode_all",
    "evaluate_elbo",
    "gap_profile",
    "interpolation_gap",
    "interpolation_view",
    "lab_sizes",
    "pca_fit_transform",
    "perturbation_view",
    "recon_errors",
    "render_beta",
    "render_denoising",
    "render_gaps",
    "render_interpolation_strip",
    "render_latent_scatters",
    "render_manifold",
    "render_probe_bars",
    "render_reconstructions",
    "render_roc",
    "render_samples",
    "render_traversal",
    "train_autoencoder",
    "vae_loss",
]
