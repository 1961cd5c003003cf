"""Clustering in torch (CPU or CUDA) with the scikit-learn API: k-Means (notebook 01) and
Mean Shift (notebook 02). Both are real scikit-learn estimators: ``clone``, ``Pipeline`` and
``GridSearchCV`` work, so they can replace ``sklearn.cluster.KMeans`` / ``MeanShift`` in any code."""
from .kmeans import KMeans, assign_labels, kmeans_plusplus, lloyd_steps, update_centers  # noqa: F401
from .meanshift import (MeanShift, estimate_bandwidth, get_bin_seeds, kernel_density,  # noqa: F401
                        mean_shift_step, mean_shift_trajectories)
