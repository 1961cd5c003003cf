"""One training loop for every lab: progress bar, per-epoch history, checkpoints, NaN guard.

``fit(model, loader, loss_fn=...)`` covers supervised models and autoencoders;
``fit(model, loader, step=...)`` lets a lab run its own update (GANs: one D and one G step).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf (or a lab's own divergence test fired). ``.history`` keeps
    everything recorded until then; the model holds the last finite weights if a
    checkpoint path was given."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


class History(dict):
    """``history["loss"][e]`` is the mean training loss of epoch ``e``; validation metrics
    appear under their own names. ``history.steps`` keeps the per-step training values."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.steps: dict[str, list] = {}
        self.seconds: list[float] = []

    def log_step(self, values: dict):
        for k, v in values.items():
            self.steps.setdefault(k, []).append(v)

    def log_epoch(self, values: dict):
        for k, v in values.items():
            self.setdefault(k, []).append(v)

    @property
    def epochs(self) -> int:
        return len(self.seconds)

    def last(self) -> dict:
        return {k: v[-1] for k, v in self.items() if v}


@dataclass
class FitResult:
    """What a lab trainer returns: the per-epoch :class:`History` and the wall time of the
    training in ``seconds``. The GAN trainers return subclasses that add the trained nets
    (``labkit.gan.GANRun``, ``GrowthRun``, ``CycleRun``, ``Pix2PixRun``)."""

    history: History
    seconds: float


def supervised(criterion: Callable) -> Callable:
    """Loss for ``(x, y)`` batches: ``criterion(model(x), y)``."""

    def loss_fn(model, batch):
        x, y = batch
        return criterion(model(x), y)

    return loss_fn


def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _as_float(v):
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


def _check_finite(values: dict, epoch: int, step: int, history: History):
    for k, v in values.items():
        if not math.isfinite(v):
            raise TrainingDiverged(
                f"Training diverged: '{k}' became {v} at epoch {epoch + 1}, step {step + 1}. "
                "Typical fixes: lower the learning rate, check the inputs for NaN, clip gradients, "
                "or check the loss for log(0) / division by zero. History so far is kept in "
                "err.history.",
                history,
            )


def save_checkpoint(path, model, optimizer=None, history=None, **extra):
    """Write a checkpoint atomically (temp file + rename): a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "extra": extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if history is not None:
        state["history"] = {
            "epochs": dict(history),
            "steps": history.steps,
            "seconds": history.seconds,
        }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path, model, optimizer=None, map_location="cpu") -> History:
    """Load weights (and optimizer state) saved by ``save_checkpoint``; returns the history."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Train first (fit(..., checkpoint=path))."
        )
    state = torch.load(path, map_location=map_location, weights_only=False)
    model.load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    h = History(state.get("history", {}).get("epochs", {}))
    h.steps = state.get("history", {}).get("steps", {})
    h.seconds = state.get("history", {}).get("seconds", [])
    return h


def fit(
    model: torch.nn.Module,
    loader,
    *,
    loss_fn: Callable | None = None,
    step: Callable | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    epochs: int = 1,
    val_loader=None,
    metrics: Callable | None = None,
    device=None,
    checkpoint=None,
    progress: bool = True,
    max_steps_per_epoch: int | None = None,
    on_epoch_end: Callable | None = None,
    desc: str = "train",
    clip_grad: float | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader``.

    - ``loss_fn(model, batch) -> loss`` (a scalar tensor, or ``(loss, {name: value})``), or
    - ``step(batch) -> {name: value}``: the lab's own update (it owns its optimizers).
    - ``metrics(model, val_loader) -> {name: value}`` runs after each epoch in eval mode.
    - ``on_epoch_end(epoch, history)`` e.g. to keep snapshots for a slider; return ``True`` to stop.
    - ``checkpoint``: path; the last finite state is saved there after each epoch.

    Returns a :class:`History`. A NaN/inf value stops training with :class:`TrainingDiverged`.
    """
    if (loss_fn is None) == (step is None):
        raise ValueError(
            "Give exactly one of loss_fn=(model, batch) -> loss or step=(batch) -> dict."
        )
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    from .config import get_device

    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    if loss_fn is not None and optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    n_batches = len(loader) if hasattr(loader, "__len__") else None
    if max_steps_per_epoch and n_batches:
        n_batches = min(n_batches, max_steps_per_epoch)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        sums: dict[str, float] = {}
        count = 0
        bar = tqdm(
            loader,
            total=n_batches,
            desc=f"{desc} {epoch + 1}/{epochs}",
            disable=not progress,
            leave=False,
        )
        for i, batch in enumerate(bar):
            if max_steps_per_epoch and i >= max_steps_per_epoch:
                break
            batch = to_device(batch, device)
            if step is not None:
                values = {k: _as_float(v) for k, v in step(batch).items()}
            else:
                out = loss_fn(model, batch)
                loss, extra = out if isinstance(out, tuple) else (out, {})
                if not torch.isfinite(loss.detach()):
                    _check_finite({"loss": _as_float(loss)}, epoch, i, history)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if clip_grad:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
                optimizer.step()
                values = {"loss": _as_float(loss), **{k: _as_float(v) for k, v in extra.items()}}
            _check_finite(values, epoch, i, history)
            history.log_step(values)
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
            if i % 10 == 0:
                bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()})
        bar.close()
        epoch_vals = {k: v / max(count, 1) for k, v in sums.items()}
        if metrics is not None and val_loader is not None:
            model.eval()
            with torch.no_grad():
                epoch_vals.update({k: _as_float(v) for k, v in metrics(model, val_loader).items()})
        history.seconds.append(time.perf_counter() - t0)
        history.log_epoch(epoch_vals)
        if progress:
            print(
                f"epoch {epoch + 1}/{epochs}: "
                + ", ".join(f"{k}={v:.4g}" for k, v in epoch_vals.items())
                + f" ({history.seconds[-1]:.1f}s)"
            )
        if checkpoint:
            save_checkpoint(checkpoint, model, optimizer, history, epoch=epoch + 1)
        if on_epoch_end is not None and on_epoch_end(epoch, history):
            break
    model.eval()
    return history


def fit_timed(model: torch.nn.Module, loader, **kwargs) -> FitResult:
    """:func:`fit`, timed, leaving the model in eval mode: what a lab trainer returns."""
    t0 = time.perf_counter()
    history = fit(model, loader, **kwargs)
    model.eval()
    return FitResult(history, time.perf_counter() - t0)


def to_model(module: torch.nn.Module, *tensors):
    """Inputs follow the model: move ``tensors`` (``None`` passes through) to the device of
    ``module``'s parameters, so a student who trained on the GPU can still pass CPU tensors.
    Returns one tensor for one argument, else a tuple."""
    p = next(module.parameters(), None)
    out = tuple(
        t.to(p.device)
        if isinstance(t, torch.Tensor) and p is not None and t.device != p.device
        else t
        for t in tensors
    )
    return out[0] if len(out) == 1 else out
