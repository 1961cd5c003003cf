import os
import socket

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("LABKIT_MODE", "fast")
os.environ.setdefault("LABKIT_OFFLINE", "1")


# ---- shipped references (tests/test_reference_*.py) --------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection fails: a shipped reference must load offline."""

    def refuse(*a, **k):
        raise AssertionError("a reference must load without the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def offline_test_split():
    """MNIST's official test split from disk (the only split offline), or skip."""
    from labkit.data.mnist import load_mnist

    try:
        return load_mnist("test", download=False, allow_fallback=False)
    except FileNotFoundError:
        pytest.skip("MNIST test split not available offline")
