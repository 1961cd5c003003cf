"""The slider view of notebook 04b_vae_likelihood (the move used to be an assert cell in the
notebook): picking another test image redraws the posterior."""

import matplotlib
import torch

from labkit.vae import likelihood as L
from labkit.vae import likelihood_views as W
from labkit.vae.models import VAE
from labkit.views import SliderView, int_slider

matplotlib.use("Agg")


def test_posterior_view_index_slider():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = L.BernoulliVAE(VAE(latent_dim=2, width=4, hidden=16).eval())
    x = torch.bernoulli(torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    view = SliderView(
        W.render_posterior,
        title="true posterior vs encoder q(z|x)",
        fixed=dict(model=model, images=x, n_coarse=21, n_fine=31),
        index=int_slider("test image", 0, 5, 3),
    )
    before = view.image.value
    view.controls["index"].value = 4
    assert view.image.value != before, "the picture should change when the slider moves"
    assert view.last_error is None
