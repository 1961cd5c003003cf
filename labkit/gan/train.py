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
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from labkit.config import seeded, seeded_by
from labkit.gan.losses import d_loss, g_loss, r1_penalty
from labkit.train import FitResult, History, TrainingDiverged, fit


@dataclass
class GANRun(FitResult):
    """What the GAN trainers of labs 05 and 05b return: a :class:`labkit.train.FitResult`
    (``history``: per-epoch and per-step losses; ``seconds``: wall time of the training steps)
    plus ``G``, the generator to sample from (the EMA copy when EMA is on), ``D``,
    ``snapshots`` (what the trainer kept for the slider views) and ``trainer``, the
    :class:`GANTrainer` (optimisers, ``diagnosis``) or ``None`` where there is none."""

    G: nn.Module
    D: nn.Module
    snapshots: list = field(default_factory=list)
    trainer: object = None

    @property
    def diagnosis(self) -> list[str]:
        """What the divergence watch reported (empty: nothing)."""
        return list(getattr(self.history, "diagnosis", None) or [])


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
        self.watch = DivergenceWatch(self.cfg, self.diagnosis)
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
    def _watch(self, ld, lg, p_real, p_fake):
        self.watch.update(ld, lg, p_real, p_fake, self.n_steps)


class DivergenceWatch:
    """The trainer's divergence watch, in words: a NaN/inf loss raises :class:`GANDiverged`;
    "D wins outright" (real scored above ``win_threshold``, fakes below ``1 - win_threshold`` for
    ``window`` steps) is reported per ``config.on_divergence``. ``diagnosis`` lists the reports."""

    def __init__(self, config: GANConfig, diagnosis: list | None = None):
        self.cfg = config
        self.diagnosis = diagnosis if diagnosis is not None else []
        self._p_real: list[float] = []
        self._p_fake: list[float] = []
        self._winning = False

    def _report(self, message: str):
        self.diagnosis.append(message)
        if self.cfg.on_divergence == "raise":
            raise GANDiverged(message)
        if self.cfg.on_divergence == "warn":
            warnings.warn(message, stacklevel=4)

    def update(self, ld, lg, p_real, p_fake, step: int):
        if not (math.isfinite(ld) and math.isfinite(lg)):
            bad = "discriminator" if not math.isfinite(ld) else "generator"
            msg = (
                f"GAN training diverged at step {step}: the {bad} loss is NaN/inf "
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
                f"The discriminator is winning outright (step {step}): for {w} steps it "
                f"gave real samples D(x) > {t} and fakes D(G(z)) < {1 - t:.2g}. The generator's "
                f"gradient has vanished{sat}; it is stuck. Try the non-saturating loss, "
                "a smaller D learning rate, instance noise or R1."
            )
        self._winning = winning

    def replay(self, steps: dict) -> list[str]:
        """Run the watch over recorded per-step values (``history.steps``); returns diagnosis."""
        rows = zip(steps["d_loss"], steps["g_loss"], steps["D(x)"], steps["D(G(z))"])
        for n, (ld, lg, pr, pf) in enumerate(rows, 1):
            self.update(ld, lg, pr, pf, n)
        return self.diagnosis


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
    """Train a GAN with :func:`labkit.train.fit` (``step=``); returns a :class:`GANRun`.

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
    t0 = time.perf_counter()
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
    return GANRun(history, time.perf_counter() - t0, G=trainer.generator(), D=D, trainer=trainer)


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

    Returns a :class:`GANRun` whose ``snapshots`` are
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
    run = train_gan(
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
    run.snapshots = snaps
    return run


def train_mixture_gans(
    mixture="ring",
    recipe="tuned",
    steps=2000,
    seeds=(0, 1),
    n_snapshots: int = 10,
    device="cpu",
    dtype=torch.float32,
    **cfg_overrides,
) -> list[GANRun]:
    """Independent runs of :func:`train_mixture_gan` trained as ONE stacked model.

    ``mixture``, ``recipe``, ``steps`` and ``seeds`` each take one value or a list (one per run;
    single values are shared), e.g. the four runs of notebook 05 are
    ``train_mixture_gans(["ring", "ring", "grid", "grid"], ["minimax", "tuned"] * 2,
    [1500, 1500, 2000, 2000], seeds=0)``. The runs' parameters are stacked
    (``torch.func.stack_module_state``; a generator with fewer latent categories gets zero input
    columns, which stay zero) and each forward pass is one ``vmap`` over them, so a GPU runs N tiny
    MLPs in the kernels of one. Per run: loss, learning rates and their decay, R1 weight and
    period, instance noise, EMA and step count (a finished run's learning rates drop to 0 while
    the others go on). Shared: the architecture, batch size, Adam betas and ``d_steps``.

    Run ``i`` replays ``train_mixture_gan(mixture[i], recipe[i], steps[i], seed=seeds[i],
    rng_seed=seeds[i])`` step for step (same initial weights, data, latents, instance noise, R1
    steps, lr schedule and EMA; results agree to float rounding; GAN dynamics can amplify rounding
    over many steps, most in the minimax recipe). The divergence watch of :class:`GANTrainer`
    is replayed on each run's recorded D(x), D(G(z)) after training (``run.diagnosis``).
    Returns one :class:`GANRun` per run, in input order, on the CPU whatever ``device`` trained
    it (``G`` holds the sampled, EMA if on, weights; ``seconds`` is the whole batch's wall time;
    ``trainer`` is ``None``).
    """
    from torch.func import functional_call, stack_module_state, vmap

    specs = _broadcast(mixture=mixture, recipe=recipe, steps=steps, seed=seeds)
    runs = []
    for sp in specs:
        with seeded(sp["seed"]):
            runs.append(
                _mixture_run(
                    sp["mixture"],
                    sp["recipe"],
                    sp["steps"],
                    sp["seed"],
                    n_snapshots,
                    cfg_overrides,
                    dtype,
                )
            )
    cs = [r[3] for r in runs]
    _check_shared(cs, runs)
    n_snapshots = runs[0][4]
    Gs, Ds = [r[0].to(device) for r in runs], [r[1].to(device) for r in runs]
    streams = [iter_stream(r[2]) for r in runs]
    pers = [len(r[2]) for r in runs]
    totals = [p * n_snapshots for p in pers]
    rngs = [torch.Generator().manual_seed(sp["seed"]) for sp in specs]
    width = max(G.latent_dim + G.n_categories for G in Gs)
    pg, _ = stack_module_state([_padded(g.net, width) for g in Gs])  # name -> (N, ...) leaves
    pd, _ = stack_module_state([d.net for d in Ds])
    base_g, base_d = _padded(Gs[0].net, width).to("meta"), copy.deepcopy(Ds[0].net).to("meta")
    g_fwd = vmap(lambda p, z: functional_call(base_g, p, (z,)))  # (N, n, w) -> (N, n, 2)
    d_fwd = vmap(lambda p, x: functional_call(base_d, p, (x,)).squeeze(-1))  # (N, n, 2) -> (N, n)
    opt_g = _BatchedAdam(pg, cs[0].betas)
    opt_d = _BatchedAdam(pd, cs[0].betas)
    ema = {k: v.detach().clone() for k, v in pg.items()}
    per_run = _per_run(cs, dtype, device)
    N = len(runs)

    def latents(n):
        z = [G.sample_latent(n, g) for G, g in zip(Gs, rngs)]  # (n, w_i) each
        z = [nn.functional.pad(x, (0, width - x.shape[1])) for x in z]
        return torch.stack(z).to(device=device, dtype=dtype)  # (N, n, width)

    def noisy(x, sigma):  # only runs with sigma > 0 draw noise (as GANTrainer does)
        if not any(s > 0 for s in sigma):
            return x
        noise = [
            torch.randn(x.shape[1:], generator=g) if s > 0 else torch.zeros(x.shape[1:])
            for s, g in zip(sigma, rngs)
        ]
        s = torch.tensor(sigma, dtype=x.dtype, device=x.device).view(N, 1, 1)
        return x + s * torch.stack(noise).to(x)

    snaps = [[] for _ in runs]
    logs = {"d_loss": [], "g_loss": [], "D(x)": [], "D(G(z))": []}  # per step: (N,) tensors
    d_updates = 0
    t0 = time.perf_counter()
    for step in range(max(totals)):
        progress = [min(1.0, step / t) for t in totals]
        live = [step < t for t in totals]
        f = [(1 - (1 - c.lr_decay) * p) * a for c, p, a in zip(cs, progress, live)]
        opt_d.lr = torch.tensor([c.lr_d * x for c, x in zip(cs, f)], dtype=dtype, device=device)
        opt_g.lr = torch.tensor([c.lr_g * x for c, x in zip(cs, f)], dtype=dtype, device=device)
        sigma = [_noise_std(c, p) for c, p in zip(cs, progress)]
        real = torch.stack([next(s) for s in streams]).to(device)  # (N, n, 2)
        n = real.shape[1]
        for _ in range(cs[0].d_steps):
            with torch.no_grad():
                fake = g_fwd(pg, latents(n))
            r1_now = [c.r1 > 0 and d_updates % c.r1_every == 0 for c in cs]
            d_updates += 1
            real_in = real.detach().requires_grad_(any(r1_now))
            logits = d_fwd(pd, noisy(torch.cat([real_in, fake], 1), sigma))
            real_logits, fake_logits = logits[:, :n], logits[:, n:]
            loss_d = nn.functional.softplus(-real_logits).mean(1) + nn.functional.softplus(
                fake_logits
            ).mean(1)
            if any(r1_now):
                gamma = per_run["r1"] * torch.tensor(r1_now, dtype=dtype, device=device)
                loss_d = loss_d + r1_penalty(real_logits, real_in, gamma, batch_dims=2)
            opt_d.step(loss_d.sum())  # runs are independent: the sum's gradient is each run's
        fake_logits_g = d_fwd(pd, noisy(g_fwd(pg, latents(n)), sigma))
        sat = nn.functional.softplus(fake_logits_g)  # saturating: -mean softplus(l)
        loss_g = torch.where(
            per_run["saturating"], -sat.mean(1), nn.functional.softplus(-fake_logits_g).mean(1)
        )
        opt_g.step(loss_g.sum())
        with torch.no_grad():
            w = per_run["ema_w"] * torch.tensor(live, dtype=dtype, device=device)
            for k in ema:
                ema[k].lerp_(pg[k], w.view(-1, *[1] * (pg[k].ndim - 1)))
        for k, v in zip(logs, (loss_d, loss_g, real_logits, fake_logits)):
            v = v.detach()
            logs[k].append(v if v.ndim == 1 else torch.sigmoid(v).mean(1))
        for i in range(N):
            if live[i] and (step + 1) % pers[i] == 0:
                src = ema if cs[i].ema else pg
                snaps[i].append(
                    {"step": step + 1, "G": _unstack(src, i, Gs[i]), "D": _unstack(pd, i, Ds[i])}
                )
    seconds = time.perf_counter() - t0
    logged = {k: torch.stack(v).T.tolist() for k, v in logs.items()}  # name -> N lists of steps
    out = []
    for i, (G, D) in enumerate(zip(Gs, Ds)):
        G, D = G.cpu(), D.cpu()  # tiny models: figures and metrics run on the CPU
        G.load_state_dict(snaps[i][-1]["G"]), D.load_state_dict(snaps[i][-1]["D"])
        history = History()
        for k, v in logged.items():
            history.steps[k] = v[i][: totals[i]]
            history[k] = [
                sum(v[i][e : e + pers[i]]) / pers[i] for e in range(0, totals[i], pers[i])
            ]
        history.seconds = [seconds / n_snapshots] * n_snapshots  # the batch's time, shared
        history.diagnosis = DivergenceWatch(cs[i]).replay(history.steps)
        G = G.eval() if cs[i].ema else G
        out.append(GANRun(history, seconds, G=G, D=D, snapshots=snaps[i]))
    return out


def _broadcast(**values) -> list[dict]:
    """One dict per run from values that are either shared or lists (one per run)."""
    lists = {k: v for k, v in values.items() if isinstance(v, (list, tuple))}
    n = {len(v) for v in lists.values()}
    if len(n) > 1:
        raise ValueError(
            f"per-run lists must have one length; got { ({k: len(v) for k, v in lists.items()}) }"
        )
    n = n.pop() if n else 1
    return [{k: (v[i] if k in lists else v) for k, v in values.items()} for i in range(n)]


def _check_shared(cs, runs):
    for what, get in (
        ("Adam betas", lambda c, r: tuple(c.betas)),
        ("d_steps", lambda c, r: c.d_steps),
        ("batch size", lambda c, r: r[2].batch_size),
        (
            "G's hidden layers",
            lambda c, r: [m.out_features for m in r[0].net if isinstance(m, nn.Linear)],
        ),
        ("D's shape", lambda c, r: [tuple(p.shape) for p in r[1].parameters()]),
    ):
        got = [get(c, r) for c, r in zip(cs, runs)]
        if any(g != got[0] for g in got):
            raise ValueError(f"runs trained together must share {what}; got {got}")


def _per_run(cs, dtype, device) -> dict:
    """The per-run constants of the stacked step, as (N,) tensors."""
    t = lambda v: torch.tensor(v, dtype=dtype, device=device)  # noqa: E731
    return {
        "r1": t([c.r1 * c.r1_every for c in cs]),
        "saturating": torch.tensor(
            [c.loss in ("saturating", "minimax") for c in cs], device=device
        ),
        "ema_w": t([1 - c.ema for c in cs]),  # EMA off: the copy is never read
    }


def _noise_std(c: GANConfig, progress: float) -> float:
    """Instance-noise std at ``progress`` (as :meth:`GANTrainer.noise_std`)."""
    if not c.noise_std or not c.noise_until:
        return c.noise_std if not c.noise_until else 0.0
    return c.noise_std * max(0.0, 1 - progress / c.noise_until)


def _padded(net: nn.Sequential, width: int) -> nn.Sequential:
    """A copy of ``net`` whose first Linear takes ``width`` inputs (extra weight columns zero)."""
    net = copy.deepcopy(net)
    first = net[0]
    extra = width - first.in_features
    if extra:
        w = nn.functional.pad(first.weight.detach(), (0, extra))
        net[0] = nn.Linear(width, first.out_features, dtype=w.dtype, device=w.device)
        with torch.no_grad():
            net[0].weight.copy_(w), net[0].bias.copy_(first.bias)
    return net


class _BatchedAdam:
    """Adam over stacked runs with one learning rate per run (``lr``: an (N,) tensor; 0 freezes a
    run exactly). Same arithmetic as ``torch.optim.Adam``."""

    def __init__(self, params: dict, betas, eps: float = 1e-8):
        self.params, (self.b1, self.b2), self.eps = list(params.values()), betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t, self.lr = 0, None

    def step(self, loss: torch.Tensor):
        for p in self.params:
            p.grad = None
        loss.backward()
        self.t += 1
        bc1, bc2 = 1 - self.b1**self.t, math.sqrt(1 - self.b2**self.t)
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                m.lerp_(p.grad, 1 - self.b1)
                v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
                step = (self.lr / bc1).view(-1, *[1] * (p.ndim - 1))
                p.sub_(step * (m / ((v.sqrt() / bc2).add_(self.eps))))


def iter_stream(stream):
    """Endless iteration over a mixture stream's "epochs".

    This is the way :func:`labkit.train.fit` reads it.
    """
    while True:
        yield from stream


def _unstack(stacked: dict, i: int, module: nn.Module) -> dict:
    """Run ``i``'s state dict for ``module`` (keys ``net.<name>``) from stacked parameters, each
    cropped to the module's own shape (a padded first layer loses its zero columns)."""
    own = module.state_dict()
    out = {}
    for k, v in stacked.items():
        shape = own[f"net.{k}"].shape
        out[f"net.{k}"] = v[i][tuple(slice(0, d) for d in shape)].detach().cpu().clone()
    return out


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
    """Train a :class:`labkit.gan.models.Pix2Pix` with :func:`labkit.train.fit`; returns a
    :class:`GANRun` (``G``, ``D``: the model's UNet and patch discriminator; ``model(x)`` runs
    G). ``adversarial=False`` trains the L1-only baseline."""
    from labkit.config import get_device

    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    trainer = Pix2PixTrainer(model, derive, l1_weight, lr, adversarial=adversarial)
    t0 = time.perf_counter()
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
    return GANRun(history, time.perf_counter() - t0, G=model.G, D=model.D, trainer=trainer)


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
    Returns a :class:`GANRun` with snapshots ``{"step", "samples", "xs", "d"}``
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
    run = train_gan(
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
    run.snapshots = snaps
    return run


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
    [0, 1], ``.labels``, ``.loader``). Returns a :class:`GANRun` (``G`` in eval mode); after each
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
    run = train_gan(
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
    run.G.eval()
    run.snapshots = snaps
    return run


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
