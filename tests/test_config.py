import random

import numpy as np
import pytest
import torch

import labkit
from labkit import config


def test_mode_from_env(monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "full")
    assert config.get_mode() == "full"
    monkeypatch.setenv("LABKIT_MODE", "FAST")
    assert config.get_mode() == "fast" and config.is_fast()


def test_mode_default_follows_cuda(monkeypatch):
    monkeypatch.delenv("LABKIT_MODE", raising=False)
    assert config.get_mode() == ("full" if torch.cuda.is_available() else "fast")


def test_bad_mode_says_what_to_do(monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "turbo")
    with pytest.raises(ValueError, match="fast"):
        config.get_mode()


def test_by_mode(monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "fast")
    assert config.by_mode(fast=dict(epochs=1), full=dict(epochs=9)).epochs == 1
    monkeypatch.setenv("LABKIT_MODE", "full")
    assert config.by_mode(fast=dict(epochs=1), full=dict(epochs=9)).epochs == 9
    with pytest.raises(ValueError, match="same keys"):
        config.by_mode(fast=dict(a=1), full=dict(b=1))


def test_seed_everything_repeats():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    config.seed_everything(123)
    a = draw()
    config.seed_everything(123)
    assert draw() == a
    with pytest.raises(ValueError):
        config.seed_everything(-1)


def test_device_choice(monkeypatch):
    monkeypatch.setenv("LABKIT_DEVICE", "cpu")
    assert config.get_device().type == "cpu"
    monkeypatch.delenv("LABKIT_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else config.get_device().type
    assert config.get_device().type == expected


def test_missing_data_dir_is_clear(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="LABKIT_DATA"):
        config.data_dir()


def test_setup_prints_everything(capsys, monkeypatch):
    monkeypatch.setenv("LABKIT_MODE", "fast")
    s = labkit.setup(seed=7)
    out = capsys.readouterr().out
    assert "mode: fast" in out and "seed: 7" in out and "device:" in out and "MNIST source" in out
    assert s.fast and s.seed == 7


def test_switches_parse_one_way(monkeypatch):
    from labkit import config

    for value, want in (
        ("1", True),
        ("true", True),
        ("YES", True),
        ("0", False),
        ("", False),
        ("no", False),
    ):
        monkeypatch.setenv("LABKIT_OFFLINE", value)
        assert config.offline() is want, value
    monkeypatch.setenv("LABKIT_OFFLINE", "maybe")
    with pytest.raises(ValueError, match="LABKIT_OFFLINE"):
        config.offline()
