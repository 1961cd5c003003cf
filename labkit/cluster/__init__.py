"""Clustering in torch (CPU or CUDA) with the scikit-learn API: k-Means (notebook 01) and
Mean Shift (notebook 02). Both are real scikit-learn estimators: ``clone``, ``Pipeline`` and
``GridSearchCV`` work, so they can replace ``sklearn.cluster.KMeans`` / ``MeanShift`` in any code.
The labs' other pieces: ``metrics`` (inertia, ARI, k scans), ``views`` (figures and slider views)
and the checks of notebooks 01 and 02 (``kmeans_checks``, ``meanshift_checks``)."""

from .kmeans import KMeans, assign_labels, kmeans_plusplus, lloyd_steps, update_centers
from .meanshift import (
    MeanShift,
    estimate_bandwidth,
    get_bin_seeds,
    kernel_density,
    mean_shift_step,
    mean_shift_trajectories,
)

__all__ = [
    "KMeans",
    "MeanShift",
    "assign_labels",
    "estimate_bandwidth",
    "get_bin_seeds",
    "kernel_density",
    "kmeans_plusplus",
    "lloyd_steps",
    "mean_shift_step",
    "mean_shift_trajectories",
    "update_centers",
]
