"""The slider views of notebook 04_autoencoders_vae, driven as the notebook builds them (these
moves used to be assert cells in the notebook): moving a control changes the picture."""

import matplotlib
import pytest
import torch
from viewcheck import moves

from labkit.vae import views as W
from labkit.vae.models import AE, VAE

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def small():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 1, 28, 28, generator=g)
    labels = torch.randint(0, 10, (40,), generator=g)
    return AE(2, width=4, hidden=16).eval(), VAE(2, width=4, hidden=16).eval(), x, labels


def test_denoising_view_noise_slider(small):
    ae, _, x, _ = small
    assert moves(W.denoising_view(ae, x[:8]), "noise", 0.8)  # section 4


def test_perturbation_view_latent_slider(small):
    torch.manual_seed(1)
    vae6 = VAE(6, width=4, hidden=16).eval()
    _, _, x, _ = small
    assert moves(W.perturbation_view(vae6, x[0]), "z0", 2.5)  # section 10


def test_interpolation_view_t_slider(small):
    ae, vae, x, labels = small
    from labkit.vae.metrics import encode_all

    view = W.interpolation_view(
        ae, vae, x[0], x[1], encode_all(ae, x).numpy(), encode_all(vae, x).numpy(), labels
    )
    assert moves(view, "t", 0.3)  # section 11


def test_beta_view_dropdown(small):
    _, _, x, _ = small
    torch.manual_seed(2)
    betas = {b: VAE(6, width=4, hidden=16, beta=b).eval() for b in (1.0, 4.0, 10.0)}
    summaries = {b: W.beta_summary(m, x) for b, m in betas.items()}
    assert moves(W.beta_view(betas, summaries, x[0]), "beta", 10.0)  # section 12
