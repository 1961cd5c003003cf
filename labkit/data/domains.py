"""Two image domains made from MNIST, for unpaired translation (notebook 05b, CycleGAN).

A domain is MNIST seen through a fixed, visible transform:

- ``thin``    strokes eroded (a 2x2 min filter): hairline digits,
- ``thick``   strokes dilated (a 3x3 max filter): bold digits,
- ``upright`` the digits as they are,
- ``italic``  the digits sheared to lean right (like italic type).

``make_domains(images, labels, "thin-thick")`` gives the two training sets. Unpaired (the
default), domain A and domain B are built from two *disjoint* halves of the images: the
thin and the thick version of one handwritten digit never both exist, so no model can
learn from pairs. ``paired=True`` gives the paired version (same digit in both domains,
index by index) for pix2pix and for measuring how far a translation is from the truth.

All images are ``(N, 1, 28, 28)`` float in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "erode",
    "dilate",
    "shear",
    "to_domain",
    "DOMAINS",
    "PAIRS",
    "Domains",
    "make_domains",
    "UnpairedLoader",
    "stroke_width",
]


def _check_images(x, what="images"):
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{what} must be a torch.Tensor of shape (N, 1, H, W), got {type(x).__name__}"
        )
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(
            f"{what} must have shape (N, 1, H, W), got {tuple(x.shape)}. "
            "Fix: add the channel axis with x.unsqueeze(1)."
        )
    if not x.is_floating_point():
        raise ValueError(
            f"{what} must be float in [0, 1], got dtype {x.dtype}. Fix: x.float() / 255"
        )
    if torch.isnan(x).any():
        raise ValueError(f"{what} contain NaN")
    if x.numel() and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise ValueError(
            f"{what} must lie in [0, 1], got range [{x.min():.3g}, {x.max():.3g}]. "
            "Fix: map [-1, 1] images with (x + 1) / 2."
        )


def _max_filter(x, k, reflect=False):
    """Max over each k x k window; for even k the window is off-centre by half a pixel
    (``reflect`` mirrors it, as erosion must for erode(dilate(x)) to be an opening)."""
    lo, hi = (k - 1) // 2, k // 2
    if reflect:
        lo, hi = hi, lo
    return F.max_pool2d(F.pad(x, (lo, hi, lo, hi)), k, stride=1)  # (N, 1, H, W)


def dilate(x: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Grey-level dilation: each pixel becomes the max of its k x k neighbourhood (bolder
    strokes)."""
    _check_images(x)
    return _max_filter(x, k)


def erode(x: torch.Tensor, k: int = 2) -> torch.Tensor:
    """Grey-level erosion: the min of each k x k neighbourhood (thinner strokes). Dual of dilate."""
    _check_images(x)
    return 1.0 - _max_filter(1.0 - x, k, reflect=True)


def shear(x: torch.Tensor, s: float = 0.35) -> torch.Tensor:
    """Shear rows sideways in proportion to their height: the top moves right by ``s`` of the
    half-width, the bottom left (an italic slant for s > 0)."""
    _check_images(x)
    n = x.shape[0]
    theta = torch.tensor([[1.0, s, 0.0], [0.0, 1.0, 0.0]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


DOMAINS = {
    "thin": lambda x: erode(x, 2),
    "thick": lambda x: dilate(x, 3),
    "upright": lambda x: x.clone(),
    "italic": lambda x: shear(x, 0.35),
}
PAIRS = {"thin-thick": ("thin", "thick"), "upright-italic": ("upright", "italic")}


def to_domain(x: torch.Tensor, name: str) -> torch.Tensor:
    """Apply the transform that defines domain ``name`` (one of ``DOMAINS``)."""
    if name not in DOMAINS:
        raise ValueError(f"unknown domain {name!r}; choose one of {sorted(DOMAINS)}")
    _check_images(x)
    return DOMAINS[name](x).clamp(0, 1)


def stroke_width(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Rough mean stroke width per image, in pixels: 2 x ink area / number of edge pixels
    (ink pixels with a background neighbour). A strip w pixels wide and L long has area wL
    and about 2L edge pixels. Tells thin from thick without knowing the transform. (N,)."""
    _check_images(x)
    ink = (x > threshold).float()
    inner = -F.max_pool2d(-F.pad(ink, (1, 1, 1, 1)), 3, stride=1)  # ink with all 8 neighbours ink
    edge = (ink - inner).clamp(min=0).flatten(1).sum(1)
    return 2 * ink.flatten(1).sum(1) / edge.clamp(min=1)


@dataclass
class Domains:
    """Two domains for translation. ``a``/``b``: (N, 1, 28, 28) in [0, 1]; ``labels_*``: digit
    classes (for evaluation only, never for training); ``source_*``: index of the MNIST image
    each came from. Unpaired: the sources are disjoint. Paired: ``source_a == source_b``."""

    a: torch.Tensor
    b: torch.Tensor
    labels_a: torch.Tensor
    labels_b: torch.Tensor
    source_a: torch.Tensor
    source_b: torch.Tensor
    names: tuple
    paired: bool

    def __len__(self):
        return min(len(self.a), len(self.b))

    def loader(self, batch_size: int = 64, seed: int = 0, steps: int | None = None):
        """Batches ``(xa, xb)``. Unpaired: A and B shuffled independently every epoch.
        Paired: the same shuffle, so ``xb[i]`` is the B version of ``xa[i]``.
        ``steps``: yield exactly that many batches (reshuffling as needed) instead of one epoch."""
        return UnpairedLoader(self.a, self.b, batch_size, seed, same_order=self.paired, steps=steps)

    def __repr__(self):
        kind = "paired" if self.paired else "unpaired (disjoint sources)"
        sizes = f"{len(self.a)} A / {len(self.b)} B"
        return f"Domains({self.names[0]} -> {self.names[1]}, {sizes}, {kind})"


class UnpairedLoader:
    """Iterates ``(xa, xb)`` batches (full batches only); a fresh seeded shuffle of each domain
    per epoch (the same shuffle for both if ``same_order``). ``steps``: total batches to yield."""

    def __init__(self, a, b, batch_size, seed=0, same_order=False, steps=None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.a, self.b, self.batch_size, self.same_order = a, b, batch_size, same_order
        self.n = min(len(a), len(b))
        if self.n < batch_size:
            raise ValueError(
                f"batch_size={batch_size} is larger than the domains ({self.n} images)"
            )
        if steps is not None and steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.steps = steps
        self.gen = torch.Generator().manual_seed(seed)

    def __len__(self):
        return self.steps if self.steps is not None else self.n // self.batch_size

    def _epoch(self):
        pa = torch.randperm(len(self.a), generator=self.gen)[: self.n]
        pb = pa if self.same_order else torch.randperm(len(self.b), generator=self.gen)[: self.n]
        for i in range(self.n // self.batch_size):
            sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
            yield self.a[pa[sl]], self.b[pb[sl]]

    def __iter__(self):
        done = 0
        while done < len(self):
            for batch in self._epoch():
                if done == len(self):
                    return
                yield batch
                done += 1


def make_domains(
    images: torch.Tensor,
    labels: torch.Tensor,
    pair: str = "thin-thick",
    paired: bool = False,
    seed: int = 0,
) -> Domains:
    """Build domains A and B from MNIST ``images`` (N, 1, 28, 28) in [0, 1].

    Unpaired: a seeded permutation splits the images into two disjoint halves, A from the
    first, B from the second. Paired: every image appears in both domains.
    """
    if pair not in PAIRS:
        raise ValueError(f"unknown domain pair {pair!r}; choose one of {sorted(PAIRS)}")
    _check_images(images)
    labels = torch.as_tensor(labels)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if len(images) < 2:
        raise ValueError("need at least 2 images to make two domains")
    name_a, name_b = PAIRS[pair]
    n = len(images)
    if paired:
        ia = ib = torch.arange(n)
    else:
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        ia, ib = perm[: n // 2], perm[n // 2 : 2 * (n // 2)]
    return Domains(
        to_domain(images[ia], name_a),
        to_domain(images[ib], name_b),
        labels[ia],
        labels[ib],
        ia,
        ib,
        (name_a, name_b),
        paired,
    )
