"""Notebook 01's full-mode results, shipped for fast mode (there is no training: fast mode runs
on a smaller image and fewer seeds).

    .venv/bin/python benchmarks/reference.py --only kmeans_image

* section 6: the colour-quantised image at full mode's resolution (``load_image("china.jpg",
  stride=2)``, 214 x 320) for k = 2, 4, 16 (the notebook's static grid), stored exactly as
  ``labkit.cluster.quantize`` returns it: one uint8 label per pixel plus the k-colour palette
  (float64); and the mean squared colour error per pixel for k = 2, 4, 8, 16, 32;
* section 3: the final inertia of ``KMeans(12, init=..., n_init=1)`` on the 12-blob data over full
  mode's 30 seeds (best, median, worst) for random and k-means++ starts.

Times are not recorded as results (they depend on the machine).
"""

from __future__ import annotations

import time

import numpy as np

FULL = dict(image_stride=2, ks=(2, 4, 8, 16, 32), pictures=(2, 4, 16), n_seeds=30)
ARGS = []


def build(a):
    import torch
    from sklearn.datasets import make_blobs

    from labkit.cluster import KMeans, load_image, quantize
    from labkit.data.reference import write_reference

    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    image = load_image("china.jpg", stride=FULL["image_stride"])
    arrays, q_error = {}, {}
    for k in FULL["ks"]:
        q = quantize(image, k)
        q_error[str(k)] = round(float(((q - image) ** 2).sum(-1).mean()), 6)
        if k in FULL["pictures"]:
            palette, labels = np.unique(q.reshape(-1, 3), axis=0, return_inverse=True)
            arrays[f"k{k}.palette"] = palette  # (k, 3) float64, exactly quantize's colours
            arrays[f"k{k}.labels"] = labels.reshape(image.shape[:2]).astype(np.uint8)
            assert np.array_equal(palette[arrays[f"k{k}.labels"]], q)
    X12, _ = make_blobs(
        n_samples=3000, centers=12, cluster_std=0.6, center_box=(-15, 15), random_state=1
    )
    init = {}
    for name in ("random", "k-means++"):
        v = [
            KMeans(12, init=name, n_init=1, random_state=s).fit(X12).inertia_
            for s in range(FULL["n_seeds"])
        ]
        init[name] = {
            "best": round(min(v), 1),
            "median": round(float(np.median(v)), 1),
            "worst": round(max(v), 1),
        }
    res = {
        "image_shape": list(image.shape),
        "q_error": q_error,
        "final_inertia_12_blobs": init,
        "n_seeds": FULL["n_seeds"],
    }
    print(f"  kmeans_image: {image.shape}, q_error {q_error}, init {init}", flush=True)
    return write_reference(
        "kmeans_image",
        arrays,
        command=a.command,
        trained_on="scikit-learn's sample image china.jpg and make_blobs data (no MNIST, no "
        "training: k-means fitted as the notebook fits it, at full-mode sizes)",
        results=res,
        notebook="01_kmeans",
        sizes=FULL,
        build_wall_s=round(time.perf_counter() - t0, 1),
        contents="k<K>.labels (H, W) uint8 and k<K>.palette (K, 3) float64: the quantised "
        "image is palette[labels] (exactly labkit.cluster.quantize(load_image('china.jpg', "
        "stride=2), K))",
    )
