"""Labs 05 and 05b, GANs: generators and discriminators (``models``), adversarial losses and R1
(``losses``), the trainers (``train``; ProGAN in ``progan``, CycleGAN and paired pix2pix in
``cyclegan``), the judge classifier that scores samples (``judge``, also used by lab 06), Frechet
distance and mode coverage (``metrics``), figures and slider views (``views``, ``beyond_views``) and
the checks of both labs (``checks``, ``beyond_checks``, re-exported by ``labkit.checks.gan``
and ``labkit.checks.gan_beyond``). The notebooks import the names below from ``labkit.gan``."""

from .beyond_views import render_growth, render_round_trip, render_translations
from .cyclegan import (
    evaluate_translation,
    round_trip,
    score_translator,
    train_cyclegan,
    train_pix2pix_paired,
    translate,
)
from .judge import load_classifier
from .metrics import conditional_accuracy, frechet_distance, mode_coverage
from .models import MLPDiscriminator, MLPGenerator, Pix2Pix, count_parameters, lerp, slerp
from .progan import GrowthRun, ProGenerator, sample, train_progan, upsample_to
from .train import (
    GANConfig,
    GANRun,
    digit_edges,
    generate_digits,
    train_1d_gan,
    train_image_gan,
    train_mixture_gan,
    train_mixture_gans,
    train_pix2pix,
)
from .views import (
    plot_mixture_runs,
    plot_per_label_accuracy,
    plot_pix2pix,
    render_1d,
    render_conditional,
    render_epoch_samples,
    render_interpolation,
    render_mixture,
    render_perturbation,
)

__all__ = [
    "GANConfig",
    "GANRun",
    "GrowthRun",
    "MLPDiscriminator",
    "MLPGenerator",
    "Pix2Pix",
    "ProGenerator",
    "conditional_accuracy",
    "count_parameters",
    "digit_edges",
    "evaluate_translation",
    "frechet_distance",
    "generate_digits",
    "lerp",
    "load_classifier",
    "mode_coverage",
    "plot_mixture_runs",
    "plot_per_label_accuracy",
    "plot_pix2pix",
    "render_1d",
    "render_conditional",
    "render_epoch_samples",
    "render_growth",
    "render_interpolation",
    "render_mixture",
    "render_perturbation",
    "render_round_trip",
    "render_translations",
    "round_trip",
    "sample",
    "score_translator",
    "slerp",
    "train_1d_gan",
    "train_cyclegan",
    "train_image_gan",
    "train_mixture_gan",
    "train_mixture_gans",
    "train_pix2pix",
    "train_pix2pix_paired",
    "train_progan",
    "translate",
    "upsample_to",
]
