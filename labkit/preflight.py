"""Versions and hardware check with concrete fixes (notebook 00, ``labkit info``)."""

from __future__ import annotations

import platform
import sys


def _version(mod):
    try:
        m = __import__(mod)
        return getattr(m, "__version__", "?")
    except Exception as e:  # noqa: BLE001
        return f"MISSING ({type(e).__name__})"


def preflight(verbose: bool = True) -> dict:
    """Print Python/torch/widget versions and the GPU status, each with what to do if wrong."""
    info = {"python": platform.python_version()}
    for mod in ("torch", "torchvision", "numpy", "matplotlib", "sklearn", "ipywidgets", "tqdm"):
        info[mod] = _version(mod)
    problems = []
    if sys.version_info < (3, 10):
        problems.append(
            "Python >= 3.10 is needed: create the venv with python3.11 (make lab does)."
        )
    for mod, v in info.items():
        if v.startswith("MISSING"):
            problems.append(
                f"{mod} is not installed: run `make lab` (local) or rerun the first cell (Colab)."
            )
    try:
        import torch

        info["cuda"] = torch.cuda.is_available()
        info["gpu"] = torch.cuda.get_device_name(0) if info["cuda"] else None
        if not info["cuda"]:
            in_colab = "google.colab" in sys.modules
            problems.append(
                "No GPU: fine for fast mode. For full mode "
                + (
                    "choose Runtime > Change runtime type > T4 GPU, then rerun from the top."
                    if in_colab
                    else "run on a machine with CUDA (or Colab with a GPU runtime)."
                )
            )
    except Exception:  # noqa: BLE001
        info["cuda"] = False
    iw = info["ipywidgets"]
    if "google.colab" in sys.modules and iw.startswith("8"):
        problems.append(
            "ipywidgets 8 breaks widgets in Colab: `pip install ipywidgets==7.7.1`, then restart."
        )
    info["problems"] = problems
    if verbose:
        for k, v in info.items():
            if k != "problems":
                print(f"{k:>12}: {v}")
        print("preflight:", "all good" if not problems else "")
        for p in problems:
            print("  -", p)
    return info
