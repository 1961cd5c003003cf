"""Clustering in torch (CPU or CUDA) with the scikit-learn API: k-Means (notebook 01) and
Mean Shift (notebook 02). Both are real scikit-learn estimators: ``clone``, ``Pipeline`` and
``GridSearchCV`` work, so they can replace ``sklearn.cluster.KMeans`` / ``MeanShift`` in any code.
The labs' other pieces: ``metrics`` (inertia, ARI, k scans), ``views`` (figures and slider views)
and the checks of notebooks 01 and 02 (``kmeans_checks``, ``meanshift_checks``, re-exported by
``labkit.checks.kmeans`` / ``labkit.checks.meanshift``). The notebooks import the names below
from ``labkit.cluster``."""

from .kmeans import KMeans, assign_labels, kmeans_plusplus, lloyd_steps, update_centers
from .meanshift import (
    MeanShift,
    estimate_bandwidth,
    get_bin_seeds,
    kernel_density,
    mean_shift_step,
    mean_shift_trajectories,
)
from .metrics import adjusted_rand, inertia, scan_k
from .views import (
    load_image,
    plot_trajectories,
    quantize,
    render_kmeans_step,
    render_meanshift_bandwidth,
    render_quantized,
    render_segmentation,
    segment,
)

__all__ = [
    "KMeans",
    "MeanShift",
    "adjusted_rand",
    "assign_labels",
    "estimate_bandwidth",
    "get_bin_seeds",
    "inertia",
    "kernel_density",
    "kmeans_plusplus",
    "lloyd_steps",
    "load_image",
    "mean_shift_step",
    "mean_shift_trajectories",
    "plot_trajectories",
    "quantize",
    "render_kmeans_step",
    "render_meanshift_bandwidth",
    "render_quantized",
    "render_segmentation",
    "scan_k",
    "segment",
    "update_centers",
]
