"""Segmentation data for notebook 03 (UNet): a seeded synthetic set that needs no download,
and Oxford-IIIT Pet (torchvision) with the same interface for full mode where there is a network.

Both give ``train, val`` datasets whose items are ``(image, mask)``:
``image`` (3, H, W) float32 in [0, 1], ``mask`` (H, W) int64 in ``[0, num_classes)``;
attributes ``classes`` (names), ``num_classes``, ``in_channels``, ``source``;
``.loader(batch_size)``.

The synthetic "shapes" set: discs, boxes, triangles and crosses of random size, aspect, rotation,
colour and texture (flat, stripes, checker, speckle), overlapping (later objects occlude earlier
ones), on cluttered backgrounds (colour gradients, blotches, thin lines and dots that belong to
the background) with pixel noise. Colour says nothing about the class: only shape does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..config import offline

__all__ = [
    "SHAPE_CLASSES",
    "PET_CLASSES",
    "SegmentationSet",
    "make_shapes",
    "shapes_splits",
    "PetSegmentation",
    "pet_splits",
    "segmentation_splits",
    "trimap_to_classes",
]

SHAPE_CLASSES = ("background", "disc", "box", "triangle", "cross")
PET_CLASSES = ("background", "pet", "border")


class _SegBase(Dataset):
    classes: tuple = ()
    source: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return 3

    def loader(
        self, batch_size: int = 32, shuffle: bool = True, num_workers: int = 0, seed: int = 0, **kw
    ) -> DataLoader:
        g = torch.Generator().manual_seed(seed)
        return DataLoader(
            self, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers, generator=g, **kw
        )

    def batch(self, idx) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (n, 3, H, W) and masks (n, H, W) for a list of indices."""
        items = [self[int(i)] for i in idx]
        return torch.stack([a for a, _ in items]), torch.stack([b for _, b in items])


class SegmentationSet(_SegBase):
    """In-memory segmentation set: ``images`` (N, 3, H, W) float32 [0, 1], ``masks`` (N, H, W)
    int64."""

    def __init__(self, images, masks, classes, source: str = "synthetic shapes", split: str = ""):
        images, masks = torch.as_tensor(images), torch.as_tensor(masks)
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must have shape (N, 3, H, W); got {tuple(images.shape)}")
        if masks.shape != (images.shape[0], *images.shape[2:]):
            raise ValueError(
                f"masks must have shape (N, H, W) = {(images.shape[0], *images.shape[2:])}; "
                f"got {tuple(masks.shape)}"
            )
        self.images, self.masks = images.float(), masks.long()
        self.classes, self.source, self.split = tuple(classes), source, split

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.masks[i]

    def batch(self, idx):
        idx = torch.as_tensor(idx, dtype=torch.long)
        return self.images[idx], self.masks[idx]

    def subset(self, n: int) -> "SegmentationSet":
        return SegmentationSet(
            self.images[:n], self.masks[:n], self.classes, self.source, self.split
        )

    def class_frequencies(self) -> torch.Tensor:
        return (
            torch.bincount(self.masks.flatten(), minlength=self.num_classes).float()
            / self.masks.numel()
        )

    def __repr__(self):
        return (
            f"SegmentationSet({self.split or 'data'}: {len(self)} images "
            f"{tuple(self.images.shape[1:])}, classes={list(self.classes)}, source={self.source!r})"
        )


# ---------------------------------------------------------------- synthetic shapes


def _u(rng, lo, hi, shape=None):
    """Uniform float32 draws (float32 keeps the vectorised generator fast)."""
    return rng.uniform(lo, hi, shape).astype(np.float32)


def _shape_masks(yy, xx, kind, cy, cx, r, angle, aspect, jitter):
    """Boolean (B, H, W) masks of one object per image; ``kind`` (B,) indexes ``SHAPE_CLASSES``
    (1 disc, 2 box, 3 triangle, 4 cross); the other arguments are (B, 1, 1) arrays, ``r`` the
    half-size in pixels."""
    c, s = np.cos(angle), np.sin(angle)
    u = ((xx - cx) * c + (yy - cy) * s) / r  # rotated, scaled coordinates (B, H, W)
    v = (-(xx - cx) * s + (yy - cy) * c) / r
    disc = u**2 + (v / aspect) ** 2 <= 1.0  # ellipse
    box = (np.abs(u) <= 1.0) & (np.abs(v) <= aspect)  # rectangle
    tri = np.ones_like(disc)  # jittered triangle: 3 half-planes
    for k in range(3):
        t = 2 * np.pi * k / 3 + jitter[k]
        tri &= (u * np.cos(t) + v * np.sin(t)) <= (np.float32(0.6) if k else 0.4 + 0.4 * aspect)
    w = 0.25 + 0.15 * aspect  # plus sign, arms ~0.35 r wide
    cross = ((np.abs(u) <= 1.0) & (np.abs(v) <= w)) | ((np.abs(v) <= 1.0) & (np.abs(u) <= w))
    k = kind[:, None, None]
    return np.where(k == 1, disc, np.where(k == 2, box, np.where(k == 3, tri, cross)))


# typical hue of each shape class (0 red, 1/3 green, 2/3 blue): like GRASS is green and SKY blue,
# colour is a hint, not the answer; clutter of every hue sits in the background
_CLASS_HUE = {"disc": 0.0, "box": 0.36, "triangle": 0.62, "cross": 0.15}


def _hsv(h, s, v):
    """Vectorised HSV -> RGB; h, s, v of equal shape (..., 1) -> (..., 3), all float32."""
    k = (np.array([5, 3, 1], np.float32) + (h % 1.0) * 6) % 6
    return v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)


def _textures(yy, xx, rng, hue, hue_jitter):
    """(B, H, W, 3) textures, one per image: flat, stripes, checker or speckle between a colour
    of hue ``hue`` (B,) +- ``hue_jitter`` and a darker shade of it."""
    n = len(hue)
    h = (hue[:, None, None, None] + _u(rng, -hue_jitter, hue_jitter, (n, 1, 1, 1))).astype(
        np.float32
    )
    s, v = _u(rng, 0.55, 1.0, (n, 1, 1, 1)), _u(rng, 0.5, 1.0, (n, 1, 1, 1))
    a, b = _hsv(h, s, v), _hsv(h, s, v * _u(rng, 0.3, 0.7, (n, 1, 1, 1)))
    kind = rng.integers(0, 4, (n, 1, 1))
    th, f = _u(rng, 0, np.pi, (n, 1, 1)), _u(rng, 0.25, 0.8, (n, 1, 1))
    p = rng.integers(2, 5, (n, 1, 1))
    stripes = np.float32(0.5) + 0.5 * np.sin(f * (xx * np.cos(th) + yy * np.sin(th)))
    checker = ((xx // p + yy // p) % 2).astype(np.float32)
    speckle = (_u(rng, 0, 1, stripes.shape) < 0.3).astype(np.float32)
    t = np.where(
        kind == 0,
        np.float32(0),
        np.where(kind == 1, stripes, np.where(kind == 2, checker, speckle)),
    )
    return a + (b - a) * t[..., None]


def _muted(rng, n):
    """(n, 1, 1, 3) low-saturation colours for the background."""
    return _hsv(
        _u(rng, 0, 1, (n, 1, 1, 1)),
        _u(rng, 0, 0.35, (n, 1, 1, 1)),
        _u(rng, 0.3, 0.95, (n, 1, 1, 1)),
    )


def _vivid(rng, n):
    """(n, 1, 1, 3) saturated colours of any hue (background clutter that looks like objects)."""
    return _hsv(
        _u(rng, 0, 1, (n, 1, 1, 1)), _u(rng, 0.5, 1, (n, 1, 1, 1)), _u(rng, 0.4, 1, (n, 1, 1, 1))
    )


def _backgrounds(yy, xx, rng, n, size):
    """(B, H, W, 3) cluttered backgrounds: muted gradient + blotches, vivid thin lines and dots."""
    c0, c1 = _muted(rng, n), _muted(rng, n)
    th = _u(rng, 0, 2 * np.pi, (n, 1, 1))
    g = ((xx * np.cos(th) + yy * np.sin(th)) / size + 1) / 2
    img = c0 + (c1 - c0) * g[..., None]
    for _ in range(3):  # soft blotches
        cy, cx = _u(rng, 0, size, (2, n, 1, 1))
        sg = _u(rng, 0.1, 0.3, (n, 1, 1)) * size
        w = 0.6 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sg**2))[..., None]
        img = img * (1 - w) + w * _muted(rng, n)
    for k in range(3):  # 0-3 thin lines (background clutter)
        th, off = _u(rng, 0, np.pi, (n, 1, 1)), _u(rng, -0.4, 0.4, (n, 1, 1)) * size
        d = np.abs((xx - size / 2) * np.cos(th) + (yy - size / 2) * np.sin(th) - off)
        on = (d < 0.6 + 0.3 * _u(rng, 0, 1, (n, 1, 1))) & (_u(rng, 0, 1, (n, 1, 1)) < 0.8 - 0.3 * k)
        img = np.where(on[..., None], _vivid(rng, n), img)
    for _ in range(8):  # dots (background clutter)
        cy, cx = _u(rng, 0, size, (2, n, 1, 1))
        on = (yy - cy) ** 2 + (xx - cx) ** 2 <= _u(rng, 0.5, 2.0, (n, 1, 1))
        img = np.where(on[..., None], _vivid(rng, n), img)
    return img


def make_shapes(
    n: int,
    size: int = 64,
    seed: int = 0,
    max_objects: int = 4,
    noise: float = 0.06,
    classes=SHAPE_CLASSES,
    scale=(0.10, 0.25),
    hue_jitter: float = 0.08,
    chunk: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic images (n, 3, size, size) float32 [0, 1] and masks (n, size, size) int64.

    Each image has 1..``max_objects`` objects (half-size a fraction ``scale`` of the image, any
    rotation and aspect, one of four textures, a colour near its class's typical hue: +-
    ``hue_jitter``; 0.5 makes colour useless, only shape tells); later objects occlude earlier
    ones. Vectorised over
    ``chunk`` images at a time; the result is fixed by the arguments (``chunk`` included).
    """
    if n < 1 or size < 8:
        raise ValueError(f"make_shapes needs n >= 1 and size >= 8; got n={n}, size={size}")
    classes = tuple(classes)
    unknown = [c for c in classes[1:] if c not in SHAPE_CLASSES]
    if len(classes) < 2 or classes[0] != "background" or unknown:
        raise ValueError(
            f"classes must start with 'background' then some of {SHAPE_CLASSES[1:]}; got {classes}"
        )
    kind_of = np.array([SHAPE_CLASSES.index(c) for c in classes])  # class index -> shape kind
    hue_of = np.array([_CLASS_HUE.get(c, 0.0) for c in classes], np.float32)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = np.empty((n, 3, size, size), np.float32)
    masks = np.zeros((n, size, size), np.int64)
    for lo in range(0, n, chunk):
        b = min(chunk, n - lo)
        img = _backgrounds(yy, xx, rng, b, size)  # (b, H, W, 3)
        mask = np.zeros((b, size, size), np.int64)
        n_obj = rng.integers(1, max_objects + 1, b)
        for j in range(max_objects):
            cls = rng.integers(1, len(classes), b)
            r = _u(rng, scale[0], scale[1], (b, 1, 1)) * size
            cy, cx = _u(rng, 0.1, 0.9, (2, b, 1, 1)) * size
            m = _shape_masks(
                yy,
                xx,
                kind_of[cls],
                cy,
                cx,
                r,
                _u(rng, 0, 2 * np.pi, (b, 1, 1)),
                _u(rng, 0.55, 1.0, (b, 1, 1)),
                _u(rng, -0.25, 0.25, 3),
            )
            m &= (j < n_obj)[:, None, None]
            img = np.where(m[..., None], _textures(yy, xx, rng, hue_of[cls], hue_jitter), img)
            mask = np.where(m, cls[:, None, None], mask)
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(noise)
        images[lo : lo + b] = np.clip(img, 0, 1).transpose(0, 3, 1, 2)
        masks[lo : lo + b] = mask
    return images, masks


def shapes_splits(
    n_train: int = 2000, n_val: int = 400, size: int = 64, seed: int = 0, **kw
) -> tuple[SegmentationSet, SegmentationSet]:
    """Train and validation sets of the synthetic shapes (disjoint seeds, so no shared image)."""
    classes = kw.pop("classes", SHAPE_CLASSES)
    tr = make_shapes(n_train, size, seed=2 * seed, classes=classes, **kw)
    va = make_shapes(n_val, size, seed=2 * seed + 1, classes=classes, **kw)
    src = f"synthetic shapes ({size}x{size}, seed {seed})"
    return (SegmentationSet(*tr, classes, src, "train"), SegmentationSet(*va, classes, src, "val"))


# ---------------------------------------------------------------- Oxford-IIIT Pet


def trimap_to_classes(trimap) -> torch.Tensor:
    """Pet trimap values 1 = pet, 2 = background, 3 = border -> classes 1, 0, 2 (see
    ``PET_CLASSES``)."""
    t = torch.as_tensor(np.array(trimap), dtype=torch.long)
    bad = (t < 1) | (t > 3)
    if bad.any():
        raise ValueError(
            f"trimap values must be 1, 2 or 3; found {sorted(set(t[bad].tolist()))[:5]}"
        )
    lut = torch.tensor([0, 1, 0, 2])
    return lut[t]


class PetSegmentation(_SegBase):
    """Oxford-IIIT Pet (torchvision ``OxfordIIITPet(target_types="segmentation")``) resized to
    ``size`` x ``size``: items ``(image (3, size, size) float [0, 1], mask (size, size) int64)``.

    ``split``: 'train' (torchvision's 'trainval', 3680 images) or 'val' ('test', 3669 images).
    Expects (or, with ``download=True``, fetches ~800 MB into) ``root/oxford-iiit-pet/``.
    """

    classes = PET_CLASSES

    def __init__(
        self,
        root=None,
        split: str = "train",
        size: int = 128,
        download: bool = False,
        limit: int | None = None,
    ):
        from torchvision.datasets import OxfordIIITPet

        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        if root is None:
            from ..config import cache_dir

            root = cache_dir()
        self.root, self.split, self.size = Path(root), split, int(size)
        tv_split = "trainval" if split == "train" else "test"
        try:
            self.pet = OxfordIIITPet(
                str(self.root), split=tv_split, target_types="segmentation", download=download
            )
        except RuntimeError as e:
            raise FileNotFoundError(
                f"Oxford-IIIT Pet not found under {self.root / 'oxford-iiit-pet'} ({e}). Fix: pass "
                "download=True where there is a network (Colab), or use the synthetic set "
                "(labkit.data.segmentation.shapes_splits)."
            ) from e
        self.n = len(self.pet) if limit is None else min(limit, len(self.pet))
        self.source = f"Oxford-IIIT Pet ({tv_split}, resized to {size}x{size})"

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} images")
        from PIL import Image

        img, trimap = self.pet[i]
        img = img.convert("RGB").resize((self.size, self.size), Image.BILINEAR)
        trimap = trimap.resize((self.size, self.size), Image.NEAREST)
        x = (
            torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
            .permute(2, 0, 1)
            .contiguous()
        )
        return x, trimap_to_classes(trimap)

    def __repr__(self):
        return (
            f"PetSegmentation({self.split}: {len(self)} images, "
            f"classes={list(self.classes)}, {self.source})"
        )


def pet_splits(
    root=None,
    size: int = 128,
    download: bool = True,
    n_train: int | None = None,
    n_val: int | None = None,
) -> tuple[PetSegmentation, PetSegmentation]:
    return (
        PetSegmentation(root, "train", size, download, n_train),
        PetSegmentation(root, "val", size, download, n_val),
    )


def segmentation_splits(name: str = "shapes", **kw):
    """``'shapes'`` (synthetic, offline) or ``'pet'`` (Oxford-IIIT Pet, needs the files or a
    network)."""
    if name == "shapes":
        return shapes_splits(**kw)
    if name == "pet":
        if offline():
            kw.setdefault("download", False)
        return pet_splits(**kw)
    raise ValueError(f"unknown segmentation set {name!r}; expected 'shapes' or 'pet'")
