"""Datasets: MNIST (online, offline IDX files, or scikit-learn digits fallback) and friends."""

from .mnist import MNISTData, describe_source, load_mnist, mnist_splits  # noqa: F401
