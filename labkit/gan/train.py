"""Alternating GAN training on top of :func:`labkit.train.fit` (lab 05).

One step = one discriminator update on a real batch and a fake batch, then one generator
update (the lecture's alternating gradient updates). Tricks, all optional and off by default:
non-saturating loss, R1 penalty (optionally lazy: every k-th D update), instance noise annealed
to 0, linear learning-rate decay, an exponential moving average (EMA) of the generator's weights.

The trainer watches for divergence and says what happened in words: a NaN/inf loss, or the
discriminator winning outright (real scored ~1, fakes ~0 for many steps: the generator's
gradient has vanished). ``on_divergence="raise"`` stops with :class:`GANDiverged`, ``"warn"``
records the diagnosis in ``trainer.diagnosis`` and goes on.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from labkit.config import seeded, seeded_by
from labkit.gan.losses import d_loss, g_loss, r1_penalty
from labkit.train import TrainingDiverged, fit


class GANDiverged(TrainingDiverged):
    """GAN training went wrong; the message says how (NaN, discriminator winning outright)."""


@dataclass
class GANConfig:
    loss: str = "nonsaturating"  # generator loss: "nonsaturating" or "saturating" (minimax)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple = (0.5, 0.999)
    r1: float = 0.0  # R1 gradient penalty weight gamma (0: off)
    r1_every: int = 1  # lazy R1 (StyleGAN2): every k-th D update, weighted k * gamma
    noise_std: float = 0.0  # instance noise added to D's inputs at step 0 ...
    noise_until: float = 0.0  # ... annealed linearly to 0 at this fraction of training
    lr_decay: float = 1.0  # final lr / initial lr (linear decay); 1.0 = constant
    ema: float = 0.0  # EMA decay of G's weights (0: off), e.g. 0.999
    d_steps: int = 1  # D updates per G update
    on_divergence: str = "warn"  # "raise", "warn" or "ignore"
    window: int = 200  # steps over which "D wins outright" is judged
    win_threshold: float = 0.99  # D(real) above and D(fake) below 1 - this

    def __post_init__(self):
        if self.loss not in ("nonsaturating", "saturating", "ns", "minimax"):
            raise ValueError(f"loss must be 'nonsaturating' or 'saturating', got {self.loss!r}")
        if self.on_divergence not in ("raise", "warn", "ignore"):
            raise ValueError(
                f"on_divergence must be 'raise', 'warn' or 'ignore', got {self.on_divergence!r}"
            )
        if int(self.r1_every) < 1:
            raise ValueError(f"r1_every must be >= 1, got {self.r1_every}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")


class GANTrainer:
    """Holds G, D, their optimisers and the tricks; ``trainer.step(batch)`` is one alternating
    update (the ``step=`` of :func:`labkit.train.fit`). Batches are real samples ``x`` or
    ``(x, labels)``; ``conditional=True`` passes labels to G and D; ``preprocess`` maps real
    data to G's output range (e.g. ``lambda x: 2 * x - 1`` for tanh generators). ``rng``: a CPU
    ``torch.Generator`` for the latents and the instance noise (default: torch's global one), so
    that a run can be replayed exactly, e.g. by :func:`train_mixture_gans`."""

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        config: GANConfig | None = None,
        total_steps: int = 1000,
        conditional: bool = False,
        preprocess: Callable | None = None,
        rng: torch.Generator | None = None,
        **overrides,
    ):
        self.G, self.D, self.rng = G, D, rng
        self.cfg = _replace(config or GANConfig(), **overrides)
        self.total_steps = max(1, int(total_steps))
        self.conditional, self.preprocess = conditional, preprocess
        c = self.cfg
        self.opt_g = torch.optim.Adam(G.parameters(), lr=c.lr_g, betas=c.betas, foreach=True)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=c.lr_d, betas=c.betas, foreach=True)
        self.G_ema = copy.deepcopy(G).eval() if c.ema else None
        if self.G_ema is not None:
            for p in self.G_ema.parameters():
                p.requires_grad_(False)
        self.n_steps = 0
        self._d_updates = 0
        self.diagnosis: list[str] = []
        self._p_real: list[float] = []
        self._p_fake: list[float] = []
        self._winning = False
        self._d_batchnorm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())

    # -- schedules ----------------------------------------------------------------------------
    def progress(self) -> float:
        return min(1.0, self.n_steps / self.total_steps)

    def noise_std(self) -> float:
        c = self.cfg
        if not c.noise_std or not c.noise_until:
            return c.noise_std if not c.noise_until else 0.0
        return c.noise_std * max(0.0, 1 - self.progress() / c.noise_until)

    def _set_lr(self):
        f = 1 - (1 - self.cfg.lr_decay) * self.progress()
        for opt, lr in ((self.opt_g, self.cfg.lr_g), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * f

    # -- one update ---------------------------------------------------------------------------
    def generator(self) -> nn.Module:
        """The generator to sample from: the EMA copy if enabled, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    def _split(self, batch):
        if isinstance(batch, (list, tuple)):
            x, y = batch[0], batch[1] if len(batch) > 1 else None
        else:
            x, y = batch, None
        if self.preprocess is not None:
            x = self.preprocess(x)
        return x, (y if self.conditional else None)

    def _fake(self, n, labels):
        z = self.G.sample_latent(n, self.rng, device=labels.device if labels is not None else None)
        z = z.to(next(self.G.parameters()).dtype)  # float64 runs (tests)
        return self.G(z, labels) if labels is not None else self.G(z)

    def _D(self, x, labels):
        sigma = self.noise_std()
        if sigma > 0:
            noise = (
                torch.randn_like(x)
                if self.rng is None
                else torch.randn(x.shape, generator=self.rng).to(x)
            )
            x = x + sigma * noise
        return self.D(x, labels) if labels is not None else self.D(x)

    def step(self, batch) -> dict:
        real, labels = self._split(batch)
        self._set_lr()
        # discriminator: -log D(x) - log(1 - D(G(z)))  (+ R1 on real)
        for _ in range(self.cfg.d_steps):
            with torch.no_grad():
                fake = self._fake(len(real), labels)
            r1_now = self.cfg.r1 > 0 and self._d_updates % self.cfg.r1_every == 0
            self._d_updates += 1
            real_in = real.detach().requires_grad_(r1_now)
            if self._d_batchnorm:  # BatchNorm: real and fake batches apart
                real_logits, fake_logits = self._D(real_in, labels), self._D(fake, labels)
            else:  # one D pass for real and fake
                logits = self._D(
                    torch.cat([real_in, fake]),
                    None if labels is None else torch.cat([labels, labels]),
                )
                real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
            loss_d = d_loss(real_logits, fake_logits)
            if r1_now:  # R1: gamma/2 E|grad_x D(x)|^2 on real
                loss_d = loss_d + r1_penalty(real_logits, real_in, self.cfg.r1 * self.cfg.r1_every)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        # generator: saturating E log(1 - D(G(z))) or non-saturating -E log D(G(z))
        fake = self._fake(len(real), labels)
        loss_g = g_loss(self._D(fake, labels), self.cfg.loss)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self._update_ema()
        self.n_steps += 1
        p_real = torch.sigmoid(real_logits.detach()).mean().item()
        p_fake = torch.sigmoid(fake_logits.detach()).mean().item()
        self._watch(loss_d.item(), loss_g.item(), p_real, p_fake)
        return {"d_loss": loss_d.item(), "g_loss": loss_g.item(), "D(x)": p_real, "D(G(z))": p_fake}

    @torch.no_grad()
    def _update_ema(self):
        if self.G_ema is None:
            return
        b = self.cfg.ema
        torch._foreach_lerp_(list(self.G_ema.parameters()), list(self.G.parameters()), 1 - b)
        for be, bb in zip(self.G_ema.buffers(), self.G.buffers()):
            be.copy_(bb)

    # -- divergence ---------------------------------------------------------------------------
    def _report(self, message: str):
        self.diagnosis.append(message)
        if self.cfg.on_divergence == "raise":
            raise GANDiverged(message)
        if self.cfg.on_divergence == "warn":
            warnings.warn(message, stacklevel=3)

    def _watch(self, ld, lg, p_real, p_fake):
        if not (math.isfinite(ld) and math.isfinite(lg)):
            bad = "discriminator" if not math.isfinite(ld) else "generator"
            msg = (
                f"GAN training diverged at step {self.n_steps}: the {bad} loss is NaN/inf "
                f"(d_loss={ld}, g_loss={lg}). Check the data for NaN, lower the learning rates, "
                "add R1 or instance noise."
            )
            self.diagnosis.append(msg)
            raise GANDiverged(msg)
        w = self.cfg.window
        self._p_real.append(p_real)
        self._p_fake.append(p_fake)
        if len(self._p_real) > w:
            self._p_real.pop(0), self._p_fake.pop(0)
        t = self.cfg.win_threshold
        winning = len(self._p_real) == w and min(self._p_real) > t and max(self._p_fake) < 1 - t
        if winning and not self._winning:  # report once per episode
            sat = " (saturating loss)" if self.cfg.loss in ("saturating", "minimax") else ""
            self._report(
                f"The discriminator is winning outright (step {self.n_steps}): for {w} steps it "
                f"gave real samples D(x) > {t} and fakes D(G(z)) < {1 - t:.2g}. The generator's "
                f"gradient has vanished{sat}; it is stuck. Try the non-saturating loss, "
                "a smaller D learning rate, instance noise or R1."
            )
        self._winning = winning


def _replace(cfg, **kw):
    import dataclasses

    return dataclasses.replace(cfg, **kw)


def train_gan(
    G: nn.Module,
    D: nn.Module,
    loader,
    epochs: int = 1,
    config: GANConfig | None = None,
    conditional: bool = False,
    preprocess: Callable | None = None,
    on_epoch_end: Callable | None = None,
    progress: bool = True,
    device=None,
    desc: str = "GAN",
    rng: torch.Generator | None = None,
    **overrides,
):
    """Train a GAN with :func:`labkit.train.fit` (``step=``); returns ``(history, trainer)``.

    ``on_epoch_end(epoch, history, trainer)`` e.g. keeps snapshots for a slider. A NaN loss
    raises :class:`GANDiverged` with an explanation; "D wins outright" is handled per
    ``config.on_divergence`` and listed in ``trainer.diagnosis``.
    """
    from labkit.config import get_device

    device = torch.device(device) if device is not None else get_device()
    G.to(device), D.to(device)
    trainer = GANTrainer(
        G,
        D,
        config,
        total_steps=epochs * len(loader),
        conditional=conditional,
        preprocess=preprocess,
        rng=rng,
        **overrides,
    )
    if trainer.G_ema is not None:
        trainer.G_ema.to(device)
    both = nn.ModuleDict({"G": G, "D": D})
    cb = (lambda e, h: on_epoch_end(e, h, trainer)) if on_epoch_end else None
    try:
        history = fit(
            both,
            loader,
            step=trainer.step,
            epochs=epochs,
            device=device,
            progress=progress,
            on_epoch_end=cb,
            desc=desc,
        )
    except GANDiverged:
        raise
    except TrainingDiverged as e:
        raise GANDiverged(f"GAN training diverged: {e}", e.history) from e
    history.diagnosis = trainer.diagnosis
    return history, trainer


# ---- the 2-D mixtures of section 2 and the benchmark -----------------------------------------
MIXTURE_RECIPES = {
    # the original game: saturating loss, plain Gaussian latent, constant lr, no tricks
    "minimax": dict(
        latent_dim=2,
        n_categories=0,
        hidden=128,
        depth=3,
        batch_size=256,
        cfg=dict(loss="saturating", lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999)),
    ),
    # what covers every mode here (benchmarks/gan.py: ring 30k steps, grid 40k, <= 5 min CPU each):
    # non-saturating loss; a categorical + Gaussian latent with more categories than the mixture
    # has modes (ring 32 for 8, grid 50 for 25: a continuous map of one Gaussian cannot reach
    # separate clusters without samples in between, and spare categories let every cluster take
    # whole categories); instance noise annealed to 0 (in units of the mixture: ring radius 1,
    # grid spacing 2); lazy R1 (every 8th D update); linear lr decay to 0; an EMA of G's weights
    "tuned": dict(
        latent_dim=2,
        n_categories={"ring": 32, "grid": 50},
        hidden=128,
        depth=3,
        batch_size=256,
        cfg=dict(
            loss="nonsaturating",
            lr_g=1e-3,
            lr_d=1e-3,
            betas=(0.5, 0.999),
            r1=0.01,
            r1_every=8,
            noise_std={"ring": 0.1, "grid": 0.3},
            noise_until=0.6,
            lr_decay=0.0,
            ema=0.995,
        ),
    ),
}
MIXTURE_STEPS = {
    "ring": 30_000,
    "grid": 40_000,
}  # the benchmark's budget (full mode of notebook 05)


def _mixture_run(mixture, recipe, steps, seed, n_snapshots, cfg_overrides, dtype=torch.float32):
    """One run's modules, data stream and config, exactly as :func:`train_mixture_gan` builds them
    (call it inside ``labkit.config.seeded(seed)``: the modules' initial weights come from it)."""
    from labkit.data.mixtures import MixtureStream, mixture_modes, sample_mixture
    from labkit.gan.models import MLPDiscriminator, MLPGenerator

    r = dict(MIXTURE_RECIPES[recipe]) if isinstance(recipe, str) else dict(recipe)
    k = r["n_categories"]
    k = k[mixture] if isinstance(k, dict) else k
    k = len(mixture_modes(mixture)[0]) if k == "modes" else int(k)
    G = MLPGenerator(r["latent_dim"], 2, r["hidden"], r["depth"], n_categories=k).to(dtype)
    D = MLPDiscriminator(2, r["hidden"], r["depth"]).to(dtype)
    n_snapshots = max(1, min(n_snapshots, steps))
    per = max(1, steps // n_snapshots)
    mixture_modes(mixture)  # validates the name
    stream = MixtureStream(
        lambda n, g: sample_mixture(mixture, n, generator=g).to(dtype), r["batch_size"], per, seed
    )
    cfg = {**r["cfg"], **cfg_overrides}
    cfg = {
        k: (v[mixture] if isinstance(v, dict) else v) for k, v in cfg.items()
    }  # per-mixture values
    return G, D, stream, GANConfig(**cfg), n_snapshots


@seeded_by("seed")
def train_mixture_gan(
    mixture: str = "ring",
    recipe: str | dict = "tuned",
    steps: int = 2000,
    seed: int = 0,
    n_snapshots: int = 10,
    progress: bool = False,
    device="cpu",
    rng_seed: int | None = None,
    dtype=torch.float32,
    **cfg_overrides,
):
    """Train an MLP GAN on a 2-D mixture with a named recipe (``"minimax"`` or ``"tuned"``).

    Returns ``(G, D, history, trainer, snapshots)``; ``snapshots`` is a list of
    ``{"step", "G", "D"}`` state dicts (``n_snapshots`` evenly spaced) for the slider views.
    ``rng_seed``: draw latents and instance noise from ``torch.Generator().manual_seed(rng_seed)``
    instead of torch's global generator (what :func:`train_mixture_gans` replays in a batch).
    ``dtype``: of the models and data (float64 for exact-replay tests).
    """
    G, D, stream, config, n_snapshots = _mixture_run(
        mixture, recipe, steps, seed, n_snapshots, cfg_overrides, dtype
    )
    snaps = []

    def keep(epoch, history, trainer):
        snaps.append(
            {
                "step": trainer.n_steps,
                "G": copy.deepcopy(trainer.generator().state_dict()),
                "D": copy.deepcopy(D.state_dict()),
            }
        )

    rng = torch.Generator().manual_seed(rng_seed) if rng_seed is not None else None
    history, trainer = train_gan(
        G,
        D,
        stream,
        epochs=n_snapshots,
        config=config,
        on_epoch_end=keep,
        progress=progress,
        device=device,
        desc=f"{mixture} GAN",
        rng=rng,
    )
    return trainer.generator(), D, history, trainer, snaps


def train_mixture_gans(
    mixture: str = "ring",
    recipe: str | dict = "tuned",
    steps: int = 2000,
    seeds=(0, 1),
    n_snapshots: int = 10,
    device="cpu",
    dtype=torch.float32,
    **cfg_overrides,
):
    """``len(seeds)`` independent runs of :func:`train_mixture_gan` trained as ONE stacked model.

    The runs' parameters are stacked (``torch.func.stack_module_state``) and each forward pass is
    one ``vmap`` over them, so a GPU runs N tiny MLPs in the kernels of one. Run ``i`` replays
    ``train_mixture_gan(mixture, recipe, steps, seed=seeds[i], rng_seed=seeds[i])`` step for step
    (same initial weights, data, latents, instance noise, R1 steps, lr schedule and EMA; results
    agree to float rounding; GAN dynamics can amplify rounding over many steps, most in the minimax
    recipe). The divergence watch of :class:`GANTrainer` is not run here.
    Returns one ``(G, D, snapshots)`` per seed, ``G`` holding the sampled (EMA, if on) weights.
    """
    from torch.func import functional_call, stack_module_state, vmap

    from labkit.gan.losses import G_LOSSES

    runs = []
    for s in seeds:
        with seeded(s):
            runs.append(_mixture_run(mixture, recipe, steps, s, n_snapshots, cfg_overrides, dtype))
    c, n_snapshots = runs[0][3], runs[0][4]
    Gs, Ds = [r[0].to(device) for r in runs], [r[1].to(device) for r in runs]
    streams = [iter_stream(r[2]) for r in runs]
    per = len(runs[0][2])
    total = per * n_snapshots
    rngs = [torch.Generator().manual_seed(s) for s in seeds]
    pg, _ = stack_module_state([g.net for g in Gs])  # name -> (N, ...) leaves
    pd, _ = stack_module_state([d.net for d in Ds])
    base_g, base_d = copy.deepcopy(Gs[0].net).to("meta"), copy.deepcopy(Ds[0].net).to("meta")
    g_fwd = vmap(lambda p, z: functional_call(base_g, p, (z,)))  # (N, n, d) -> (N, n, 2)
    d_fwd = vmap(lambda p, x: functional_call(base_d, p, (x,)).squeeze(-1))  # (N, n, 2) -> (N, n)
    opt_g = torch.optim.Adam(list(pg.values()), lr=c.lr_g, betas=c.betas, foreach=True)
    opt_d = torch.optim.Adam(list(pd.values()), lr=c.lr_d, betas=c.betas, foreach=True)
    ema = {k: v.detach().clone() for k, v in pg.items()} if c.ema else None
    g_loss_fn = G_LOSSES[c.loss]

    def latents(n):
        return torch.stack([G.sample_latent(n, g) for G, g in zip(Gs, rngs)]).to(dtype)  # (N, n, d)

    def noisy(x, sigma):
        if sigma <= 0:
            return x
        return x + sigma * torch.stack([torch.randn(x.shape[1:], generator=g) for g in rngs]).to(x)

    snaps = [[] for _ in seeds]
    d_updates = 0
    for step in range(total):
        progress = min(1.0, step / total)
        f = 1 - (1 - c.lr_decay) * progress
        for opt, lr in ((opt_g, c.lr_g), (opt_d, c.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * f
        sigma = (
            c.noise_std * max(0.0, 1 - progress / c.noise_until) if c.noise_until else c.noise_std
        )
        real = torch.stack([next(s) for s in streams]).to(device)  # (N, n, 2)
        n = real.shape[1]
        for _ in range(c.d_steps):
            with torch.no_grad():
                fake = g_fwd(pg, latents(n).to(device))
            r1_now = c.r1 > 0 and d_updates % c.r1_every == 0
            d_updates += 1
            real_in = real.detach().requires_grad_(r1_now)
            logits = d_fwd(pd, noisy(torch.cat([real_in, fake], 1), sigma))
            real_logits, fake_logits = logits[:, :n], logits[:, n:]
            loss_d = nn.functional.softplus(-real_logits).mean(1) + nn.functional.softplus(
                fake_logits
            ).mean(1)
            if r1_now:
                loss_d = loss_d + r1_penalty(real_logits, real_in, c.r1 * c.r1_every, batch_dims=2)
            opt_d.zero_grad(set_to_none=True)
            loss_d.sum().backward()  # runs are independent: the sum's gradient is each run's
            opt_d.step()
        fake = g_fwd(pg, latents(n).to(device))
        fake_logits = d_fwd(pd, noisy(fake, sigma))
        loss_g = torch.stack([g_loss_fn(fake_logits[i]) for i in range(len(seeds))])
        opt_g.zero_grad(set_to_none=True)
        loss_g.sum().backward()
        opt_g.step()
        if ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(list(ema.values()), [pg[k] for k in ema], 1 - c.ema)
        if (step + 1) % per == 0:
            for i in range(len(seeds)):
                snaps[i].append(
                    {"step": step + 1, "G": _unstack(ema or pg, i), "D": _unstack(pd, i)}
                )
    out = []
    for i, (G, D) in enumerate(zip(Gs, Ds)):
        G.load_state_dict(snaps[i][-1]["G"]), D.load_state_dict(snaps[i][-1]["D"])
        out.append((G.eval() if c.ema else G, D, snaps[i]))
    return out


def iter_stream(stream):
    """Endless iteration over a mixture stream's "epochs".

    This is the way :func:`labkit.train.fit` reads it.
    """
    while True:
        yield from stream


def _unstack(stacked: dict, i: int) -> dict:
    """Run ``i``'s state dict (keys as in the module: ``net.<name>``) from stacked parameters."""
    return {f"net.{k}": v[i].detach().clone() for k, v in stacked.items()}


# ---- image-to-image (section 5) ------------------------------------------------------------
def digit_edges(images: torch.Tensor, threshold: float = 0.25) -> torch.Tensor:
    """A derived input for pix2pix: the binary edge map (Sobel magnitude > ``threshold``) of
    images ``(N, 1, H, W)`` in [0, 1]; same shape, values {0, 1}."""
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W); got {tuple(images.shape)}")
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], device=images.device) / 4
    k = torch.stack([kx, kx.T])[:, None]  # (2, 1, 3, 3)
    g = nn.functional.conv2d(images, k, padding=1)  # (N, 2, H, W)
    return (g.pow(2).sum(1, keepdim=True).sqrt() > threshold).float()


def digit_masks(images: torch.Tensor, threshold: float = 0.3) -> torch.Tensor:
    """The other derived input: the binary ink mask (pixel > ``threshold``), ``(N, 1, H, W)``."""
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W); got {tuple(images.shape)}")
    return (images > threshold).float()


class Pix2PixTrainer:
    """One pix2pix step on a batch of target images ``y`` (or ``(y, labels)``): the input is
    ``derive(y)`` (an edge map by default). D (patch) learns real pairs (x, y) from fake pairs
    (x, G(x)); G minimises the non-saturating adversarial loss + ``l1_weight`` * L1(G(x), y)."""

    def __init__(
        self,
        model,
        derive: Callable = digit_edges,
        l1_weight: float = 100.0,
        lr: float = 2e-4,
        betas=(0.5, 0.999),
        adversarial: bool = True,
    ):
        from labkit.gan.losses import pix2pix_g_loss

        self.model, self.derive, self.l1_weight, self.adversarial = (
            model,
            derive,
            l1_weight,
            adversarial,
        )
        self._g_loss = pix2pix_g_loss
        self.opt_g = torch.optim.Adam(model.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(model.D.parameters(), lr=lr, betas=betas)
        self.n_steps = 0

    def step(self, batch) -> dict:
        y = batch[0] if isinstance(batch, (list, tuple)) else batch
        x = self.derive(y)
        fake = self.model(x)  # (N, 1, H, W) in [0, 1]
        out = {}
        if self.adversarial:
            logits = self.model.D(torch.cat([x, x]), torch.cat([y, fake.detach()]))
            n = len(y)
            loss_d = d_loss(logits[:n], logits[n:])
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            loss_g, parts = self._g_loss(self.model.D(x, fake), fake, y, self.l1_weight)
            out["d_loss"] = loss_d.item()
            out["g_adv"] = parts["g_adv"].item()
        else:
            loss_g = self.l1_weight * (fake - y).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.n_steps += 1
        out["l1"] = (fake - y).abs().mean().item()
        return out


def train_pix2pix(
    model,
    loader,
    epochs: int = 1,
    derive: Callable = digit_edges,
    l1_weight: float = 100.0,
    lr: float = 2e-4,
    adversarial: bool = True,
    progress: bool = True,
    device=None,
    on_epoch_end: Callable | None = None,
):
    """Train a :class:`labkit.gan.models.Pix2Pix` with :func:`labkit.train.fit`; returns
    ``(history, trainer)``. ``adversarial=False`` trains the L1-only baseline."""
    from labkit.config import get_device

    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    trainer = Pix2PixTrainer(model, derive, l1_weight, lr, adversarial=adversarial)
    try:
        history = fit(
            model,
            loader,
            step=trainer.step,
            epochs=epochs,
            device=device,
            progress=progress,
            on_epoch_end=on_epoch_end,
            desc="pix2pix",
        )
    except TrainingDiverged as e:
        raise GANDiverged(f"pix2pix training diverged: {e}", e.history) from e
    return history, trainer


# ---- the 1-D toy of section 1 -----------------------------------------------------------------
@seeded_by("seed")
def train_1d_gan(
    steps: int = 1500,
    seed: int = 0,
    n_snapshots: int = 15,
    batch_size: int = 256,
    hidden: int = 64,
    progress: bool = False,
    device="cpu",
    **cfg,
):
    """A 1-D GAN: Gaussian noise in, the two-bump target of :mod:`labkit.data.mixtures` out.
    Returns ``(G, D, history, snapshots)`` with snapshots ``{"step", "samples", "xs", "d"}``
    (generated samples and the D(x) curve) for the step slider."""
    from labkit.data.mixtures import stream_1d
    from labkit.gan.models import MLPDiscriminator, MLPGenerator

    G, D = MLPGenerator(1, 1, hidden, 2), MLPDiscriminator(1, hidden, 2)
    xs = torch.linspace(-4.5, 5.5, 300)[:, None]
    gen = torch.Generator().manual_seed(seed + 1)
    z_fixed = G.sample_latent(4000, gen)

    @torch.no_grad()
    def snap(step):
        return {
            "step": step,
            "samples": G(z_fixed).squeeze(1).numpy(),
            "xs": xs.squeeze(1).numpy(),
            "d": torch.sigmoid(D(xs)).numpy(),
        }

    snaps = [snap(0)]
    per = max(1, steps // n_snapshots)
    cfg = {**dict(lr_g=5e-4, lr_d=1e-3, d_steps=2), **cfg}
    history, trainer = train_gan(
        G,
        D,
        stream_1d(batch_size, per, seed),
        epochs=n_snapshots,
        config=GANConfig(**cfg),
        progress=progress,
        device=device,
        desc="1-D GAN",
        on_epoch_end=lambda e, h, t: snaps.append(snap(t.n_steps)),
    )
    return G, D, history, snaps


# ---- MNIST DCGAN and conditional GAN (sections 3-4) --------------------------------------------
@seeded_by("seed")
def train_image_gan(
    data,
    epochs: int = 5,
    latent_dim: int = 64,
    base: int = 32,
    conditional: bool = False,
    batch_size: int = 64,
    lr: float = 2e-4,
    n_fixed: int = 32,
    seed: int = 0,
    progress: bool = True,
    device=None,
    **cfg,
):
    """DCGAN (``conditional=False``) or conditional DCGAN on MNIST-like ``data`` (``.images`` in
    [0, 1], ``.labels``, ``.loader``). Returns ``(G, D, history, trainer, snapshots)``; after each
    epoch a snapshot ``{"epoch", "images"}`` shows the same fixed batch of z (and, if
    conditional, labels 0..9 in turn) in [0, 1]."""
    from labkit.config import get_device
    from labkit.gan.models import DCGANDiscriminator, DCGANGenerator

    device = torch.device(device) if device is not None else get_device()
    n_classes = 10 if conditional else 0
    G = DCGANGenerator(latent_dim, base, n_classes).to(device)
    D = DCGANDiscriminator(base, n_classes).to(device)
    z_fixed = G.sample_latent(n_fixed, torch.Generator().manual_seed(seed + 1), device)
    y_fixed = (torch.arange(n_fixed) % 10).to(device) if conditional else None
    snaps = []

    @torch.no_grad()
    def keep(epoch, history, trainer):
        g = trainer.generator()
        g.eval()
        x = g(z_fixed, y_fixed) if conditional else g(z_fixed)
        snaps.append({"epoch": epoch + 1, "images": ((x + 1) / 2).clamp(0, 1).cpu()})
        G.train()

    cfg = {**dict(lr_g=lr, lr_d=lr, betas=(0.5, 0.999)), **cfg}
    history, trainer = train_gan(
        G,
        D,
        data.loader(batch_size, seed=seed, drop_last=True),
        epochs=epochs,
        config=GANConfig(**cfg),
        conditional=conditional,
        preprocess=lambda x: 2 * x - 1,
        on_epoch_end=keep,
        progress=progress,
        device=device,
        desc="cGAN" if conditional else "DCGAN",
    )
    g = trainer.generator().eval()
    return g, D, history, trainer, snaps


@torch.no_grad()
def generate_digits(G, labels, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """Images in [0, 1] ``(N, 1, 28, 28)`` from a conditional generator for the requested labels."""
    G.eval()
    labels = torch.as_tensor(labels).long()
    dev = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, len(labels), batch_size):
        y = labels[i : i + batch_size].to(dev)
        out.append(((G(G.sample_latent(len(y), gen, dev), y) + 1) / 2).clamp(0, 1).cpu())
    return torch.cat(out)
