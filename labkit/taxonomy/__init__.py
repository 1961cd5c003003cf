"""Lab 06, the taxonomy of generative models: an autoregressive model (``pixelcnn``), a
flow-matching sampler on the course UNet (``flow``), the measurements of the table (``table``),
the slider views (``views``) and the checks (``checks``, re-exported by
``labkit.checks.taxonomy``). Notebook 06 imports the names below from ``labkit.taxonomy``."""

from .flow import FlowUNet, sample_flow, train_flow
from .pixelcnn import (
    PixelCNN,
    binarise,
    log_prob,
    nats_to_bits_per_pixel,
    sample_pixelcnn,
    total_probability,
    train_pixelcnn,
)
from .table import format_table, measure_row, plot_family_samples, timed
from .views import render_flow_time, render_guidance, render_pixel_step

__all__ = [
    "FlowUNet",
    "PixelCNN",
    "binarise",
    "format_table",
    "log_prob",
    "measure_row",
    "nats_to_bits_per_pixel",
    "plot_family_samples",
    "render_flow_time",
    "render_guidance",
    "render_pixel_step",
    "sample_flow",
    "sample_pixelcnn",
    "timed",
    "total_probability",
    "train_flow",
    "train_pixelcnn",
]
