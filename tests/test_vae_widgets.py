"""labkit.vae.views: every render function headless, slider views move, bad input messages."""

import matplotlib
import numpy as np
import pytest
import torch

from labkit.vae import views as W
from labkit.vae.models import AE, VAE
from labkit.views import to_png

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def models():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return (
        AE(2, width=4, hidden=16).eval(),
        VAE(2, width=4, hidden=16).eval(),
        VAE(3, width=4, hidden=16).eval(),
    )


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(60, 1, 28, 28, generator=g), torch.randint(0, 10, (60,), generator=g)


def _png(fig):
    png = to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    return png


def test_static_renders(models, data):
    ae, vae, vae3 = models
    x, y = data
    _png(W.render_reconstructions({"ae": ae, "vae": vae}, x[:6], {"ae": 1.0}))
    _png(W.render_latent_scatters({"a": np.random.randn(60, 2), "b": np.random.randn(60, 2)}, y))
    _png(W.render_probe_bars({"encoder": 0.8, "pixels": 0.7, "pca": 0.72, "n_labels": 100}))
    _png(W.render_roc({"noise": (np.random.rand(50), np.random.rand(50) + 0.5)}))
    _png(W.render_samples(vae3, 8))
    _png(W.render_manifold(vae3, n=5, dims=(0, 2)))
    _png(W.render_traversal(vae3, x[0], values=[-1, 0, 1]))
    _png(W.render_interpolation_strip(ae, vae, x[0], x[1], steps=4))
    codes = np.random.default_rng(0).normal(size=(60, 2)) + np.repeat([[0, 0], [6, 6]], 30, 0)
    _png(W.render_gaps(ae, codes, y, n_show=4))


def test_renders_depend_on_their_parameters(models, data):
    ae, vae, vae3 = models
    x, y = data
    assert _png(W.render_denoising(ae, x[:4], 0.1)) != _png(W.render_denoising(ae, x[:4], 0.7))
    assert _png(W.render_perturbation(vae3, x[0], z0=-2.0)) != _png(
        W.render_perturbation(vae3, x[0], z0=2.0)
    )
    codes = np.random.randn(60, 2)
    a = _png(W.render_interpolation(ae, vae, x[0], x[1], 0.0, codes, codes, y))
    b = _png(W.render_interpolation(ae, vae, x[0], x[1], 1.0, codes, codes, y))
    assert a != b


def test_slider_views_update(models, data):
    ae, vae, vae3 = models
    x, y = data
    for view, name, value in [
        (W.denoising_view(ae, x[:4]), "noise", 0.9),
        (W.perturbation_view(vae3, x[0]), "z2", 1.5),
        (W.interpolation_view(ae, vae, x[0], x[1]), "t", 0.9),
    ]:
        before = view.image.value
        view.controls[name].value = value
        assert view.image.value != before and view.last_error is None
    assert set(W.perturbation_view(vae3, x[0]).controls) == {"z0", "z1", "z2"}


def test_beta_view(models, data):
    _, vae, vae3 = models
    x, _ = data
    betas = {1.0: vae3, 4.0: VAE(3, width=4, hidden=16, beta=4.0).eval()}
    summ = {b: W.beta_summary(m, x) for b, m in betas.items()}
    assert summ[1.0]["corr"].shape == (3, 4) and summ[1.0]["kl"].shape == (3,)
    view = W.beta_view(betas, summ, x[0])
    before = view.image.value
    view.controls["beta"].value = 1.0 if view.controls["beta"].value == 4.0 else 4.0
    assert view.image.value != before
    with pytest.raises(ValueError, match="no model for beta"):
        W.render_beta(betas, summ, 2.0, x[0])


def test_bad_inputs(models, data):
    ae, vae, vae3 = models
    x, _ = data
    with pytest.raises(ValueError, match="one image"):
        W.render_perturbation(vae3, x[:2])
    with pytest.raises(ValueError, match="z0..z2"):
        W.render_perturbation(vae3, x[0], q1=0.0)
    with pytest.raises(ValueError, match="two different latent"):
        W.render_manifold(vae3, dims=(0, 0))
    with pytest.raises(ValueError, match="two different latent"):
        W.render_manifold(VAE(1, width=4, hidden=8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        W.render_denoising(ae, x[:2] * 300)
