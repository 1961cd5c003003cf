import math

import pytest
import torch
from torch import nn

from labkit.train import TrainingDiverged, fit, load_checkpoint, save_checkpoint, supervised


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def test_fit_learns_and_records_history():
    torch.manual_seed(0)
    net = nn.Linear(4, 2)
    acc = lambda m, loader: {
        "acc": sum((m(x).argmax(1) == y).float().sum() for x, y in loader) / 64
    }
    h = fit(
        net,
        _data(),
        loss_fn=supervised(nn.CrossEntropyLoss()),
        epochs=5,
        lr=0.1,
        val_loader=_data(),
        metrics=acc,
        device="cpu",
        progress=False,
    )
    assert len(h["loss"]) == 5 and h["loss"][-1] < h["loss"][0]
    assert h["acc"][-1] > 0.8 and len(h.steps["loss"]) == 20 and h.epochs == 5


def test_same_seed_same_numbers():
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        net = nn.Linear(4, 2)
        runs.append(
            fit(
                net,
                _data(),
                loss_fn=supervised(nn.CrossEntropyLoss()),
                epochs=2,
                device="cpu",
                progress=False,
            )["loss"]
        )
    assert runs[0] == runs[1]


def test_nan_guard_stops_with_clear_message():
    net = nn.Linear(4, 2)
    bad = lambda m, b: m(b[0]).sum() * float("nan")
    with pytest.raises(TrainingDiverged, match="learning rate") as e:
        fit(net, _data(), loss_fn=bad, epochs=1, device="cpu", progress=False)
    assert e.value.history is not None


def test_step_mode_and_divergence_in_custom_step():
    calls = []

    def step(batch):
        calls.append(1)
        return {"d_loss": 1.0, "g_loss": math.inf if len(calls) == 3 else 0.5}

    with pytest.raises(TrainingDiverged, match="g_loss"):
        fit(nn.Linear(1, 1), _data(), step=step, epochs=1, device="cpu", progress=False)


def test_exactly_one_of_loss_or_step():
    with pytest.raises(ValueError, match="exactly one"):
        fit(nn.Linear(1, 1), _data(), device="cpu")


def test_checkpoint_roundtrip_atomic(tmp_path):
    net = nn.Linear(4, 2)
    p = tmp_path / "ck" / "m.pt"
    h = fit(
        net,
        _data(),
        loss_fn=supervised(nn.CrossEntropyLoss()),
        epochs=2,
        device="cpu",
        progress=False,
        checkpoint=p,
    )
    assert p.exists() and not list(p.parent.glob("*.tmp"))
    net2 = nn.Linear(4, 2)
    h2 = load_checkpoint(p, net2)
    assert torch.equal(net.weight, net2.weight) and h2["loss"] == h["loss"]
    with pytest.raises(FileNotFoundError, match="Train first"):
        load_checkpoint(tmp_path / "missing.pt", net2)
    save_checkpoint(p, net)  # overwrite works
