"""Datasets: MNIST (online, offline IDX files, or scikit-learn digits fallback) and friends."""
from .mnist import MNISTData, load_mnist, mnist_splits, describe_source  # noqa: F401
