"""Inputs follow the model: a student who trained on the GPU can still pass CPU tensors."""
from __future__ import annotations

import torch
from torch import nn


def to_model(module: nn.Module, *tensors):
    """Move ``tensors`` (``None`` passes through) to the device of ``module``'s parameters;
    returns one tensor for one argument, else a tuple."""
    p = next(module.parameters(), None)
    out = tuple(t.to(p.device) if isinstance(t, torch.Tensor) and p is not None and t.device != p.device else t
                for t in tensors)
    return out[0] if len(out) == 1 else out
