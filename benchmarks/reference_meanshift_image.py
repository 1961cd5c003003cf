"""Notebook 02's full-mode segmentation, shipped for fast mode (there is no training: fast mode
segments a smaller image).

    .venv/bin/python benchmarks/reference.py --only meanshift_image

Section 6 at full mode's resolution (``load_image("china.jpg", stride=4)``, 107 x 160): the
mean-shift segmentation in (colour, position) space, spatial weight 0.5, for the notebook's
bandwidths 0.2 and 0.3, stored exactly as ``labkit.cluster.segment`` returns it (one uint16
segment label per pixel and each segment's mean colour), plus the number of segments. Times are
not recorded as results (they depend on the machine).
"""

from __future__ import annotations

import time

import numpy as np

FULL = dict(image_stride=4, spatial=0.5, bandwidths=(0.2, 0.3))
ARGS = []


def build(a):
    import torch

    from labkit.cluster import load_image, segment
    from labkit.data.reference import write_reference

    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    image = load_image("china.jpg", stride=FULL["image_stride"])
    arrays, n_segments = {}, {}
    for bw in FULL["bandwidths"]:
        labels, colours = segment(image, bw, FULL["spatial"])
        arrays[f"bw{bw}.labels"] = labels.astype(np.uint16)
        arrays[f"bw{bw}.colours"] = colours
        n_segments[str(bw)] = len(colours)
        print(f"  meanshift_image: bandwidth {bw}: {len(colours)} segments", flush=True)
    res = {"image_shape": list(image.shape), "n_segments": n_segments}
    return write_reference(
        "meanshift_image",
        arrays,
        command=a.command,
        trained_on="scikit-learn's sample image china.jpg (no MNIST, no training: mean shift "
        "run as the notebook runs it, at full-mode resolution)",
        results=res,
        notebook="02_mean_shift",
        sizes=FULL,
        build_wall_s=round(time.perf_counter() - t0, 1),
        contents="bw<B>.labels (H, W) uint16 and bw<B>.colours (K, 3) float64: the segmented "
        "image is colours[labels] (exactly labkit.cluster.segment(load_image('china.jpg', "
        "stride=4), B, 0.5))",
    )
