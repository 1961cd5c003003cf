"""Full-size reference results shipped with labkit, for students without a GPU.

The benchmark scripts (``benchmarks/reference.py --only NAME``) train a model at full-mode size
and write one small ``.npz`` into ``labkit/data/reference/`` plus an entry in its
``manifest.json``: file, sha256, bytes, the exact command that made it, what it was trained on,
its results, and the date. Notebooks in fast mode load it with :func:`load_reference` and show it
beside the student's own small run. Nothing is ever downloaded: a missing or changed file is an
error that says how to rebuild it.

**No self-evaluation.** A model trained on MNIST images may be evaluated only on images it was
not trained on, whatever the data source (CI's 10k test split, a full MNIST downloaded in Colab,
the digits fallback). Each MNIST artifact ships a 64-bit fingerprint of every training image;
:meth:`Reference.held_out` keeps only the images the model never saw and
:meth:`Reference.check_held_out` refuses (``SelfEvaluationError``) a batch holding any of its
training images.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
MANIFEST = "manifest.json"


class ReferenceError(RuntimeError):
    """A shipped reference is missing, altered, or not listed in the manifest."""


class SelfEvaluationError(ValueError):
    """Images from a reference model's own training part were passed for evaluation."""


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def image_fingerprints(images) -> np.ndarray:
    """One uint64 per image: blake2b of the image quantized to 8 bits (``round(255 x)``), so the
    same MNIST image gives the same fingerprint whichever reader (IDX, torchvision) loaded it.
    ``images``: ``(N, ...)`` floats in [0, 1] (tensor or array)."""
    x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    q = np.clip(np.rint(x.reshape(len(x), -1).astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
            for row in q
        ],
        dtype=np.uint64,
    )


def read_manifest(directory=None) -> dict:
    path = Path(directory or REFERENCE_DIR) / MANIFEST
    if not path.exists():
        return {"artifacts": {}}
    return json.loads(path.read_text())


def list_references(directory=None) -> dict:
    """``{name: manifest entry}`` of every shipped reference."""
    return read_manifest(directory)["artifacts"]


@dataclass
class Reference:
    """A loaded reference: ``arrays`` (name -> numpy array, as stored), ``meta`` (its manifest
    entry), and for MNIST models the fingerprints of its training images."""

    name: str
    arrays: dict
    meta: dict
    train_fingerprints: np.ndarray | None = None
    _train_set: set = field(default_factory=set, repr=False)

    def __post_init__(self):
        if self.train_fingerprints is not None:
            self._train_set = set(self.train_fingerprints.tolist())

    @property
    def command(self) -> str:
        return self.meta["command"]

    @property
    def trained_on(self) -> str:
        return self.meta["trained_on"]

    @property
    def results(self) -> dict:
        return self.meta.get("results", {})

    def label(self) -> str:
        """What a figure title or printout calls it."""
        script = self.command.split()[0] if self.command else "benchmarks/reference.py"
        return f"full-size reference, trained by `{script}`"

    def state_dict(self, prefix: str, dtype=torch.float32) -> dict:
        """The tensors stored under ``prefix + "."`` as a state dict (fp16 on disk -> ``dtype``)."""
        p = prefix + "."
        out = {
            k[len(p) :]: torch.from_numpy(np.asarray(v))
            for k, v in self.arrays.items()
            if k.startswith(p)
        }
        if not out:
            raise KeyError(
                f"reference {self.name!r} has no tensors under {prefix!r}; "
                f"it holds {sorted({k.split('.')[0] for k in self.arrays})}"
            )
        return {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in out.items()}

    def is_training_image(self, images) -> np.ndarray:
        """Boolean ``(N,)``: which of ``images`` are in this model's training part."""
        if self.train_fingerprints is None:
            return np.zeros(len(images), dtype=bool)
        return np.array(
            [f in self._train_set for f in image_fingerprints(images).tolist()], dtype=bool
        )

    def check_held_out(self, images):
        """Raise :class:`SelfEvaluationError` if any of ``images`` trained this model."""
        seen = self.is_training_image(images)
        if seen.any():
            raise SelfEvaluationError(
                f"{int(seen.sum())} of {len(images)} images were used to train the reference "
                f"{self.name!r} "
                f"({self.trained_on}); a model is never evaluated on its own training images. "
                f"Fix: evaluate on ref.held_out(data) (keeps only the images it never saw)."
            )
        return images

    def held_out(self, data):
        """The part of ``data`` (an ``MNISTData`` or an image tensor) this model never saw."""
        images = data.images if hasattr(data, "images") else data
        keep = torch.from_numpy(~self.is_training_image(images))
        if hasattr(data, "images"):
            from .mnist import MNISTData

            dropped = int((~keep).sum())
            return MNISTData(
                data.images[keep],
                data.labels[keep],
                data.source,
                f"{data.split} minus {dropped} training images of reference {self.name}",
                data.reader,
                data.note,
            )
        return images[keep]

    def evaluate(self, metric, model, images, **kw):
        """``metric(model, images, **kw)`` after :meth:`check_held_out` (e.g. ``evaluate_elbo``,
        ``recon_errors``): how a notebook scores a reference."""
        return metric(model, self.check_held_out(images), **kw)


def load_reference(name: str, directory=None) -> Reference:
    """Load the shipped reference ``name`` offline, after checking its sha256 (manifest)."""
    directory = Path(directory or REFERENCE_DIR)
    refs = list_references(directory)
    if name not in refs:
        raise ReferenceError(
            f"no shipped reference named {name!r} in {directory / MANIFEST}; "
            f"available: {sorted(refs) or 'none'}. Fix: build it with "
            f"`python benchmarks/reference.py --only {name}`."
        )
    meta = refs[name]
    path = directory / meta["file"]
    if not path.exists():
        raise ReferenceError(
            f"reference {name!r}: {path} is missing (the manifest lists it). "
            f"Fix: reinstall labkit, or rebuild it with `{meta['command']}`."
        )
    got = sha256(path)
    if got != meta["sha256"]:
        raise ReferenceError(
            f"reference {name!r}: {path} has sha256 {got[:16]}..., the manifest says "
            f"{meta['sha256'][:16]}...: the file was changed or is corrupt. Fix: restore it "
            f"from git (`git checkout {path.name}` in labkit/data/reference/), reinstall "
            f"labkit, or rebuild it with `{meta['command']}`."
        )
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    fp = arrays.pop("train_fingerprints", None)
    return Reference(name, arrays, meta, fp)


def write_reference(
    name: str,
    arrays: dict,
    *,
    command: str,
    trained_on: str,
    results: dict | None = None,
    train_images=None,
    directory=None,
    **extra,
) -> dict:
    """Save ``arrays`` as ``<name>.npz`` and record it in the manifest (used by the benchmarks).
    ``train_images``: the model's training images, stored as fingerprints for the held-out rule."""
    directory = Path(directory or REFERENCE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        k: (v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v))
        for k, v in arrays.items()
    }
    if train_images is not None:
        arrays["train_fingerprints"] = image_fingerprints(train_images)
    path = directory / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    entry = {
        "name": name,
        "file": path.name,
        "sha256": sha256(path),
        "bytes": path.stat().st_size,
        "command": command,
        "trained_on": trained_on,
        "results": results or {},
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
    with locked(directory / MANIFEST):  # several builders may finish at once
        manifest = read_manifest(directory)
        manifest["artifacts"][name] = entry
        manifest["artifacts"] = dict(sorted(manifest["artifacts"].items()))
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, default=float) + "\n")
    return entry


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock for ``path`` (POSIX; a no-op where ``fcntl`` is missing), so
    that builders running side by side do not lose each other's read-modify-write of a JSON file."""
    try:
        import fcntl
    except ImportError:  # Windows: builders run one at a time there
        yield
        return
    import tempfile

    key = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"labkit-{key}.lock"  # not beside the shipped files
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---- the shipped models, rebuilt (used by notebooks 03, 04, 05 in fast mode) ---------------------
def _load(module, state):
    module.load_state_dict(state)
    return module.eval()


def reference_vae(directory=None):
    """Notebook 04's 2-D VAE at full-mode sizes: ``(model, ref)``; score it on
    ``ref.held_out(test)``."""
    from ..vae.models import VAE

    ref = load_reference("vae", directory)
    s = ref.meta["sizes"]
    return _load(
        VAE(latent_dim=s["latent_dim"], width=s["width"], hidden=s["hidden"]),
        ref.state_dict("model"),
    ), ref


def reference_unet(skip: bool = True, directory=None):
    """Notebook 03's UNet (with or without skips) on the synthetic shapes: ``(model, ref)``."""
    from ..segmentation.unet import UNet

    ref = load_reference("unet", directory)
    s, state = ref.meta["sizes"], ref.state_dict("skip" if skip else "noskip")
    net = UNet(
        3, state["head.weight"].shape[0], base_channels=s["base"], depth=s["depth"], skip=skip
    )
    return _load(net, state), ref


def reference_mixture_gan(mixture: str, recipe: str, directory=None):
    """Notebook 05's 2-D GAN (``recipe`` "tuned" or "minimax") at the full step budget:
    ``(G, D, ref)``;
    ``ref.arrays[f"{mixture}_{recipe}.samples"]`` holds its 2,500 benchmark samples."""
    from ..gan.models import MLPDiscriminator, MLPGenerator

    ref = load_reference("gan2d", directory)
    r = ref.meta["recipes"][recipe]
    g, d = ref.state_dict(f"{mixture}_{recipe}.G"), ref.state_dict(f"{mixture}_{recipe}.D")
    k = r["n_categories"]
    k = k[mixture] if isinstance(k, dict) else k
    if k == "modes":
        from .mixtures import mixture_modes

        k = len(mixture_modes(mixture)[0])
    G = MLPGenerator(r["latent_dim"], 2, r["hidden"], r["depth"], n_categories=int(k))
    D = MLPDiscriminator(2, r["hidden"], r["depth"])
    return _load(G, g), _load(D, d), ref


def reference_mnist_mlp(directory=None):
    """Notebook 00's tiny MNIST classifier (784 -> hidden -> 10 MLP) at full-mode size:
    ``(net, ref)``; score it on ``ref.held_out(test)``."""
    from torch import nn

    ref = load_reference("mnist_mlp", directory)
    h = ref.meta["sizes"]["hidden"]
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, h), nn.ReLU(), nn.Linear(h, 10))
    return _load(net, ref.state_dict("model")), ref


def reference_pixelcnn(directory=None):
    """Notebook 06's PixelCNN (the full-mode network, trained fewer epochs:
    ``ref.meta["reduced"]``): ``(model, ref)``; ``ref.arrays["samples"]``: its shipped samples
    ``(200, 1, 28, 28)`` in {0, 1} (drawn by the builder). Score it only on
    ``ref.held_out(test)``."""
    from ..taxonomy.pixelcnn import PixelCNN

    ref = load_reference("pixelcnn", directory)
    s = ref.meta["sizes"]
    bits = np.unpackbits(ref.arrays["samples_packed"], axis=1)[:, :784]
    ref.arrays["samples"] = torch.from_numpy(bits.astype(np.float32)).view(-1, 1, 28, 28)
    net = PixelCNN(channels=s["channels"], n_layers=s["n_layers"], first_k=s["first_k"])
    return _load(net, ref.state_dict("model")), ref


def reference_flow(directory=None):
    """Notebook 06's flow-matching UNet (the full-mode network, trained less:
    ``ref.meta["reduced"]``): ``(model, ref)``; ``ref.arrays["samples_uncond"]`` and
    ``["samples_guided"]`` (labels ``["samples_guided_labels"]``): its shipped samples at full
    mode's Euler steps, ``(200, 1, 28, 28)`` float tensors in [0, 1]."""
    from ..taxonomy.flow import FlowUNet

    ref = load_reference("flow", directory)
    s = ref.meta["sizes"]
    for k in ("samples_uncond", "samples_guided"):
        ref.arrays[k] = torch.from_numpy(ref.arrays[k].astype(np.float32) / 255.0)
    ref.arrays["samples_guided_labels"] = torch.from_numpy(
        ref.arrays["samples_guided_labels"].astype(np.int64)
    )
    net = FlowUNet(base=s["base"], depth=2, emb=s["emb"], size=s["size"])
    return _load(net, ref.state_dict("model")), ref


def reference_vaelik(directory=None):
    """Notebook 04b's 2-D VAE on *binarised* MNIST, 30 epochs (not 04's ``vae``, which saw grey
    images): ``(model, ref)``. Narrower than full mode's network (that one is over the 2 MB
    limit), as ``ref.meta["reduced"]`` says. Its fingerprints cover the grey and the binarised
    training images: select test images with ``ref.is_training_image(grey)`` / ``ref.held_out``."""
    from ..vae.models import VAE

    ref = load_reference("vaelik", directory)
    s = ref.meta["sizes"]
    return _load(
        VAE(latent_dim=s["latent_dim"], width=s["width"], hidden=s["hidden"]),
        ref.state_dict("model"),
    ), ref


def reference_quantized(directory=None):
    """Notebook 01's colour-quantised image at full-mode resolution: ``({k: (H, W, 3) image},
    ref)`` for the k of ``ref.meta["sizes"]["pictures"]``; its numbers are in ``ref.results``."""
    ref = load_reference("kmeans_image", directory)
    ks = ref.meta["sizes"]["pictures"]
    return {k: ref.arrays[f"k{k}.palette"][ref.arrays[f"k{k}.labels"]] for k in ks}, ref


def reference_segmented(directory=None):
    """Notebook 02's mean-shift segmentation at full-mode resolution: ``({bandwidth: (labels
    (H, W), colours (K, 3))}, ref)``, as ``labkit.cluster.segment`` returns them."""
    ref = load_reference("meanshift_image", directory)
    bws = ref.meta["sizes"]["bandwidths"]
    return {
        bw: (ref.arrays[f"bw{bw}.labels"].astype(np.int64), ref.arrays[f"bw{bw}.colours"])
        for bw in bws
    }, ref


def reference_progan(directory=None):
    """Notebook 05b's ProGAN pair (section 1), a CPU proxy of full mode: ``(G_progressive,
    G_fixed, ref)``, two ``ProGenerator`` s (generators only); score their samples against
    ``ref.held_out(test)`` images."""
    from ..gan.progan import ProGenerator

    ref = load_reference("progan", directory)
    s = ref.meta["sizes"]
    nets = [
        _load(ProGenerator(s["latent"], tuple(s["channels"])), ref.state_dict(name))
        for name in ("progressive", "fixed")
    ]
    return nets[0], nets[1], ref


def reference_translators(directory=None):
    """Notebook 05b's translation models (section 2, thin -> thick), a CPU proxy of full mode:
    ``({"with cycle loss": CycleGAN, "without cycle loss": CycleGAN, "pix2pix (paired)":
    Pix2Pix}, ref)``; evaluate them on digits of ``ref.held_out(test)``."""
    from ..gan.cyclegan import CycleGAN
    from ..gan.models import Pix2Pix

    ref = load_reference("cyclegan", directory)
    s = ref.meta["sizes"]
    models = {
        "with cycle loss": _load(CycleGAN(s["channels"], s["n_res"]), ref.state_dict("cycle")),
        "without cycle loss": _load(CycleGAN(s["channels"], s["n_res"]), ref.state_dict("nocycle")),
        "pix2pix (paired)": _load(
            Pix2Pix(base_channels=s["pix_base"], depth=s["pix_depth"]), ref.state_dict("pix2pix")
        ),
    }
    return models, ref


def reference_density_mnist(directory=None):
    """Notebook 00b's section 6 models at full-mode sizes: ``((classifier, density), ref)``, a
    ``labkit.density.ArrayMLP`` (P(y|x), ``predict_proba`` on flattened images) and a
    ``labkit.density.PCADensity`` (log p(x)); score them on ``ref.held_out(test)``."""
    from ..density.models import ArrayMLP, PCADensity

    ref = load_reference("density_mnist", directory)

    def part(prefix):
        p = prefix + "."
        return {k[len(p) :]: v for k, v in ref.arrays.items() if k.startswith(p)}

    clf = ArrayMLP.from_state(part("classifier"))
    return (clf, PCADensity.from_state(part("density"))), ref


def reference_image_gan(conditional: bool = False, directory=None):
    """Notebook 05's MNIST DCGAN (``conditional=False``: artifact ``dcgan``) or conditional DCGAN
    (``True``: ``cgan``) at full-mode sizes, trained by ``benchmarks/reference_dcgan.py``:
    ``(G, ref)``, the generator only, in eval mode. Score its samples only against
    ``ref.held_out(test)`` images."""
    from ..gan.models import DCGANGenerator

    ref = load_reference("cgan" if conditional else "dcgan", directory)
    s = ref.meta["sizes"]
    G = DCGANGenerator(s["latent"], s["base"], 10 if conditional else 0)
    return _load(G, ref.state_dict("G")), ref
