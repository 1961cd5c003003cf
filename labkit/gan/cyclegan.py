"""CycleGAN (Zhu et al. 2017) for 28x28 digits: translation without pairs (notebook 05b, part 2).

Two generators, ``g_ab: A -> B`` and ``g_ba: B -> A``, and two discriminators, ``d_a`` (is this
a real A?) and ``d_b``. With unpaired data the adversarial loss alone only asks that
``g_ab(a)`` *look like some* B; nothing ties it to *this* a. The cycle-consistency loss

    L_cyc = |g_ba(g_ab(a)) - a|_1 + |g_ab(g_ba(b)) - b|_1

asks that the translation can be undone, so it must keep what identifies the input (here:
which digit it is). The optional identity loss ``|g_ab(b) - b|_1 + |g_ba(a) - a|_1`` asks a
generator to leave an image that is already in its target domain alone.

Generator objective: ``adv_ab + adv_ba + lambda_cycle * L_cyc + lambda_identity * L_id``
(least-squares GAN losses, as in the paper). Images in [-1, 1] inside; helpers take [0, 1].
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from labkit.config import seeded_by
from labkit.gan.models import PatchDiscriminator
from labkit.train import FitResult, to_model

__all__ = [
    "ResBlock",
    "Translator",
    "patch_discriminator",
    "CycleGAN",
    "cycle_consistency_loss",
    "identity_loss",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "CycleGANTrainer",
    "CycleRun",
    "train_cyclegan",
    "translate",
    "round_trip",
    "label_preserved_rate",
    "evaluate_translation",
    "score_translator",
    "train_pix2pix_paired",
    "Pix2PixRun",
]


def _check_batch(x, what):
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(
            f"{what} must be a tensor (N, 1, H, W), got "
            f"{tuple(x.shape) if hasattr(x, 'shape') else type(x).__name__}"
        )


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1),
            nn.InstanceNorm2d(c, affine=True),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1),
            nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, h):
        return h + self.body(h)


class Translator(nn.Module):
    """Image-to-image generator: (N, 1, 28, 28) in [-1, 1] -> same shape.
    Encoder (28 -> 14), ``n_res`` residual blocks at 14x14, decoder (14 -> 28); no skip from
    input to output, as in CycleGAN's ResNet generator."""

    def __init__(self, channels: int = 16, n_res: int = 2):
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),
            nn.InstanceNorm2d(c, affine=True),
            nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1),
            nn.InstanceNorm2d(2 * c, affine=True),
            nn.ReLU(),  # 14x14
            *[ResBlock(2 * c) for _ in range(n_res)],
            nn.Upsample(scale_factor=2, mode="nearest"),  # 28x28
            nn.Conv2d(2 * c, c, 3, padding=1),
            nn.InstanceNorm2d(c, affine=True),
            nn.ReLU(),
            nn.Conv2d(c, 1, 3, padding=1),
            nn.Tanh(),
        )

    def forward(self, x):
        _check_batch(x, "generator input")
        return self.net(to_model(self, x))


def patch_discriminator(channels: int = 16) -> PatchDiscriminator:
    """CycleGAN's critic: lab 05's PatchGAN on single images with instance norm,
    (N, 1, 28, 28) -> (N, 1, 7, 7) logits, one per overlapping ~18x18 patch."""
    return PatchDiscriminator(1, 0, channels, 2, norm="instance", init="default")


class CycleGAN(nn.Module):
    """The four networks. Pass your own modules (e.g. ``nn.Identity()``) to replace any of them."""

    def __init__(
        self, channels: int = 16, n_res: int = 2, g_ab=None, g_ba=None, d_a=None, d_b=None
    ):
        super().__init__()
        self.g_ab = g_ab if g_ab is not None else Translator(channels, n_res)
        self.g_ba = g_ba if g_ba is not None else Translator(channels, n_res)
        self.d_a = d_a if d_a is not None else patch_discriminator(channels)
        self.d_b = d_b if d_b is not None else patch_discriminator(channels)


def cycle_consistency_loss(x, g_forward, g_back, translated=None):
    """Mean absolute error between ``x`` and ``g_back(g_forward(x))`` (one direction of L_cyc);
    ``translated``: ``g_forward(x)`` when the caller has it already (the trainer does)."""
    y = g_forward(x) if translated is None else translated
    return (g_back(y) - x).abs().mean()


def identity_loss(x_target, g):
    """Mean |g(x) - x| for ``x`` already in g's target domain."""
    return (g(x_target) - x_target).abs().mean()


def lsgan_d_loss(d_real, d_fake):
    """Least-squares D loss: real logits to 1, fake to 0 (halved, as in CycleGAN)."""
    return 0.5 * (((d_real - 1) ** 2).mean() + (d_fake**2).mean())


def lsgan_g_loss(d_fake):
    """Least-squares G loss: make D say 1 on fakes."""
    return ((d_fake - 1) ** 2).mean()


class CycleGANTrainer:
    """One generator update (both directions) and one update of each discriminator per batch.
    ``lambda_cycle=0`` trains the same networks without the cycle loss (the ablation)."""

    def __init__(
        self,
        model: CycleGAN,
        lambda_cycle: float = 10.0,
        lambda_identity: float = 0.0,
        lr: float = 2e-4,
        betas=(0.5, 0.999),
        device=None,
    ):
        if lambda_cycle < 0 or lambda_identity < 0:
            raise ValueError(
                f"loss weights must be >= 0, got lambda_cycle={lambda_cycle}, "
                f"lambda_identity={lambda_identity}"
            )
        self.model, self.lambda_cycle, self.lambda_identity = model, lambda_cycle, lambda_identity
        params = list(model.parameters())
        self.device = (
            torch.device(device)
            if device is not None
            else params[0].device
            if params
            else torch.device("cpu")
        )
        gens = list(model.g_ab.parameters()) + list(model.g_ba.parameters())
        discs = list(model.d_a.parameters()) + list(model.d_b.parameters())
        # (a hand-made network without parameters, e.g. nn.Identity() in the tests, is not trained)
        self.opt_g = torch.optim.Adam(gens, lr=lr, betas=betas) if gens else None
        self.opt_d = torch.optim.Adam(discs, lr=lr, betas=betas) if discs else None
        self.seconds = 0.0

    def generator_losses(self, xa, xb):
        """All generator terms for a batch in [-1, 1]; returns a dict of scalar tensors
        (``total`` is what the generators minimise) and the fakes under ``fake_a``/``fake_b``."""
        m = self.model
        fake_b, fake_a = m.g_ab(xa), m.g_ba(xb)
        out = {"adv_ab": lsgan_g_loss(m.d_b(fake_b)), "adv_ba": lsgan_g_loss(m.d_a(fake_a))}
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.lambda_cycle > 0):
            out["cycle_a"] = cycle_consistency_loss(xa, m.g_ab, m.g_ba, fake_b)
            out["cycle_b"] = cycle_consistency_loss(xb, m.g_ba, m.g_ab, fake_a)
        total = out["adv_ab"] + out["adv_ba"]
        if self.lambda_cycle > 0:
            total = total + self.lambda_cycle * (out["cycle_a"] + out["cycle_b"])
        if self.lambda_identity > 0:
            out["identity_a"] = identity_loss(xa, m.g_ba)
            out["identity_b"] = identity_loss(xb, m.g_ab)
            total = total + self.lambda_identity * (out["identity_a"] + out["identity_b"])
        out["total"] = total
        return out, fake_a, fake_b

    def step(self, batch):
        t0 = time.perf_counter()
        xa, xb = (b.to(self.device) * 2 - 1 for b in batch)  # [0, 1] -> [-1, 1]
        m = self.model
        losses, fake_a, fake_b = self.generator_losses(xa, xb)
        if self.opt_g is not None:
            self.opt_g.zero_grad(set_to_none=True)
            losses["total"].backward()
            self.opt_g.step()
        loss_d = lsgan_d_loss(m.d_a(xa), m.d_a(fake_a.detach())) + lsgan_d_loss(
            m.d_b(xb), m.d_b(fake_b.detach())
        )
        if self.opt_d is not None:
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        self.seconds += time.perf_counter() - t0
        return {
            "loss_g": losses["total"].detach(),
            "loss_d": loss_d.detach(),
            "cycle": (losses["cycle_a"] + losses["cycle_b"]).detach() / 2,
            "adv": (losses["adv_ab"] + losses["adv_ba"]).detach() / 2,
        }


@dataclass
class CycleRun(FitResult):
    """What ``train_cyclegan`` returns: a :class:`labkit.train.FitResult` (``history``,
    ``seconds``) plus the trained ``model`` and its loss weights."""

    model: CycleGAN
    lambda_cycle: float
    lambda_identity: float


@seeded_by("seed")
def train_cyclegan(
    domains,
    steps: int,
    lambda_cycle: float = 10.0,
    lambda_identity: float = 0.0,
    batch_size: int = 32,
    channels: int = 16,
    n_res: int = 2,
    lr: float = 2e-4,
    device=None,
    seed: int = 0,
    progress: bool = True,
) -> CycleRun:
    """Train a CycleGAN on ``domains`` (a ``labkit.data.domains.Domains``) for ``steps`` batches."""
    from labkit.config import get_device
    from labkit.train import fit

    if not hasattr(domains, "loader") or not hasattr(domains, "a"):
        raise ValueError("domains must be a labkit.data.domains.Domains (make_domains(...))")
    device = torch.device(device) if device is not None else get_device()
    model = CycleGAN(channels, n_res).to(device)
    trainer = CycleGANTrainer(model, lambda_cycle, lambda_identity, lr=lr, device=device)
    name = "CycleGAN" if lambda_cycle > 0 else "no cycle loss"
    history = fit(
        model,
        domains.loader(batch_size, seed=seed, steps=steps),
        step=trainer.step,
        epochs=1,
        device=device,
        progress=progress,
        desc=name,
    )
    return CycleRun(
        history,
        trainer.seconds,
        model=model,
        lambda_cycle=lambda_cycle,
        lambda_identity=lambda_identity,
    )


@torch.no_grad()
def translate(g: nn.Module, x, batch_size: int = 500):
    """Apply a generator to images ``x`` (N, 1, 28, 28) in [0, 1]; returns [0, 1] on the CPU.
    CycleGAN generators work in [-1, 1] (mapped here); a lab-05 ``Pix2Pix`` works in [0, 1]."""
    _check_batch(x, "images")
    was = g.training
    g.eval()
    device = next(g.parameters()).device if any(True for _ in g.parameters()) else x.device
    unit = type(g).__name__ == "Pix2Pix"  # sigmoid output, [0, 1] in and out
    f = (lambda v: g(v)) if unit else (lambda v: (g(v * 2 - 1) + 1) / 2)
    out = [
        f(x[i : i + batch_size].to(device)).clamp(0, 1).cpu() for i in range(0, len(x), batch_size)
    ]
    g.train(was)
    return torch.cat(out)


def round_trip(model: CycleGAN, xa):
    """A -> B -> A for images in [0, 1]: returns ``(fake_b, reconstructed_a)``."""
    fake_b = translate(model.g_ab, xa)
    return fake_b, translate(model.g_ba, fake_b)


def label_preserved_rate(classify, translated, labels) -> float:
    """Fraction of translated images that a classifier still reads as their source digit.
    ``classify(images in [0, 1]) -> predicted labels (N,)``."""
    pred = torch.as_tensor(classify(translated)).cpu()
    labels = torch.as_tensor(labels).cpu()
    if pred.shape != labels.shape:
        raise ValueError(f"classify returned shape {tuple(pred.shape)} for {len(labels)} labels")
    return float((pred == labels).float().mean())


def evaluate_translation(
    fake_b, labels, classify, truth_b=None, source_a=None, reconstructed_a=None
) -> dict:
    """The numbers of notebook 05b's comparison table, for A -> B outputs ``fake_b`` in [0, 1]:

    - ``label_kept``: the classifier still reads the source digit (``labels``),
    - ``stroke_width``: mean stroke width in pixels (did the output reach domain B's style?),
    - ``l1_to_truth``: mean |fake_b - truth_b| where the true B version is known (paired test set),
    - ``round_trip_l1``: mean |A -> B -> A - A| if ``source_a`` and ``reconstructed_a`` are given.
    """
    from labkit.data.domains import stroke_width

    out = {
        "label_kept": label_preserved_rate(classify, fake_b, labels),
        "stroke_width": float(stroke_width(fake_b).mean()),
    }
    if truth_b is not None:
        out["l1_to_truth"] = float((fake_b - truth_b).abs().mean())
    if source_a is not None and reconstructed_a is not None:
        out["round_trip_l1"] = float((reconstructed_a - source_a).abs().mean())
    return out


def score_translator(model, xa, labels, classify, truth_b=None):
    """``(fake_b, evaluate_translation(...))`` of a trained translator on A images ``xa`` in [0, 1]:
    a :class:`CycleGAN` (scored with its round trip A -> B -> A) or a lab-05 ``Pix2Pix``."""
    if isinstance(model, CycleGAN):
        fake_b, rec_a = round_trip(model, xa)
        return fake_b, evaluate_translation(fake_b, labels, classify, truth_b, xa, rec_a)
    fake_b = translate(model, xa)
    return fake_b, evaluate_translation(fake_b, labels, classify, truth_b)


@dataclass
class Pix2PixRun(FitResult):
    """What ``train_pix2pix_paired`` returns: a :class:`labkit.train.FitResult` (``history``,
    ``seconds``) plus the trained ``model`` (a lab-05 ``Pix2Pix``)."""

    model: nn.Module


@seeded_by("seed")
def train_pix2pix_paired(
    pairs,
    steps: int,
    batch_size: int = 32,
    base_channels: int = 16,
    depth: int = 2,
    l1_weight: float = 100.0,
    lr: float = 2e-4,
    device=None,
    seed: int = 0,
    progress: bool = True,
) -> Pix2PixRun:
    """The paired baseline: lab 05's pix2pix (``labkit.gan.models.Pix2Pix``, UNet generator, patch
    D, trained by ``labkit.gan.train.Pix2PixTrainer``) on *paired* domains
    (``make_domains(..., paired=True)``): input = the A image, target = its own B version."""
    from labkit.config import get_device
    from labkit.gan.models import Pix2Pix
    from labkit.gan.train import Pix2PixTrainer
    from labkit.train import fit

    if not getattr(pairs, "paired", False):
        raise ValueError("pix2pix needs pairs: build them with make_domains(..., paired=True)")
    device = torch.device(device) if device is not None else get_device()
    model = Pix2Pix(base_channels=base_channels, depth=depth).to(device)
    trainer = Pix2PixTrainer(model, l1_weight=l1_weight, lr=lr)
    t0 = time.perf_counter()

    def step(batch):  # lab 05's trainer derives its input from the target;
        xa, yb = batch  # here the input is the paired A image itself
        trainer.derive = lambda _y: xa
        return trainer.step(yb)

    history = fit(
        model,
        pairs.loader(batch_size, seed=seed, steps=steps),
        step=step,
        epochs=1,
        device=device,
        progress=progress,
        desc="pix2pix (paired)",
    )
    return Pix2PixRun(history, time.perf_counter() - t0, model=model)
