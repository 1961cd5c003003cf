"""Models move their inputs to their own device, so a notebook that trained on the GPU can pass
CPU tensors (found by running notebook 04 in full mode on CUDA: a CPU batch reached a CUDA
model). No GPU here: the 'meta' device stands in for "another device than the input's"."""

import torch

from labkit.gan.cyclegan import Translator
from labkit.gan.judge import MNISTClassifier
from labkit.gan.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    PatchDiscriminator,
    Pix2Pix,
)
from labkit.gan.progan import ProGenerator
from labkit.segmentation.unet import UNet
from labkit.train import to_model
from labkit.vae.models import AE, VAE


def test_to_model_moves_tensors_and_passes_none():
    m = torch.nn.Linear(2, 2).to("meta")
    x, none = to_model(m, torch.zeros(3, 2), None)
    assert x.device.type == "meta" and none is None
    y = torch.zeros(1)
    assert to_model(torch.nn.Linear(1, 1), y) is y  # same device: no copy


def test_every_model_accepts_inputs_on_another_device():
    img = torch.rand(2, 1, 28, 28)
    cases = [
        (AE(latent_dim=2, width=4, hidden=16), lambda m: m.encode(img)),
        (VAE(latent_dim=2, width=4, hidden=16), lambda m: m.encode(img)[0]),
        (MNISTClassifier(), lambda m: m(img)),
        (UNet(1, 2, base_channels=4, depth=2), lambda m: m(img)),
        (DCGANGenerator(8, 4, n_classes=10), lambda m: m(torch.randn(2, 8), torch.tensor([1, 2]))),
        (DCGANDiscriminator(4, n_classes=10), lambda m: m(img * 2 - 1, torch.tensor([1, 2]))),
        (PatchDiscriminator(1, 1, 4), lambda m: m(img, img)),
        (MLPGenerator(2, 2, 8, 1, n_categories=3), lambda m: m(torch.randn(2, 5))),
        (MLPDiscriminator(2, 8, 1), lambda m: m(torch.randn(2, 2))),
        (Translator(), lambda m: m(img * 2 - 1)),
        (ProGenerator(8, channels=(8, 4, 4)), lambda m: m(torch.randn(2, 8), stage=0)),
    ]
    for model, call in cases:
        out = call(model.to("meta"))
        assert out.device.type == "meta", type(model).__name__


def test_image_to_image_outputs_come_back_to_the_input_device():
    """``reconstruct(x) - x`` and ``pix2pix(x) - y`` are written in the notebooks: the output is
    returned on the input's device (pix2pix failed there in notebook 05 on CUDA)."""
    x = torch.rand(2, 1, 28, 28)
    assert AE(latent_dim=2, width=4, hidden=16).reconstruct(x).device == x.device
    assert Pix2Pix(base_channels=4, depth=1, d_base=4)(x).device == x.device
