"""labkit.vae.models: shapes, ranges, the shared interface, bad input messages."""

import pytest
import torch

from labkit.vae.models import AE, VAE, ConvDecoder, ConvEncoder


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _x(b=5, seed=0):
    return torch.rand(b, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("latent_dim", [1, 2, 16])
def test_vae_interface_shapes(latent_dim):
    torch.manual_seed(0)
    m = VAE(latent_dim=latent_dim, width=8, hidden=32).eval()
    mu, logvar = m.encode(_x())
    assert mu.shape == logvar.shape == (5, latent_dim)
    z = torch.randn(7, latent_dim)
    img = m.decode(z)
    assert img.shape == (7, 1, 28, 28)
    assert img.min() >= 0 and img.max() <= 1
    # decode is the Bernoulli mean: sigmoid of decode_logits
    torch.testing.assert_close(img, torch.sigmoid(m.decode_logits(z)))
    logits, mu2, lv2 = m(_x())
    assert logits.shape == (5, 1, 28, 28)
    torch.testing.assert_close(mu2, mu)
    assert m.sample(3).shape == (3, 1, 28, 28)
    torch.testing.assert_close(m.embed(_x()), mu)
    assert m.reconstruct(_x()).shape == (5, 1, 28, 28)


def test_ae_interface_shapes():
    torch.manual_seed(0)
    m = AE(latent_dim=3, width=8, hidden=32).eval()
    z = m.encode(_x())
    assert z.shape == (5, 3)
    out = m.decode(z)
    assert out.shape == (5, 1, 28, 28) and 0 <= out.min() and out.max() <= 1
    torch.testing.assert_close(m.reconstruct(_x()), out)
    assert m(_x()).shape == (5, 1, 28, 28)


def test_encoder_decoder_blocks_and_repr():
    enc, dec = ConvEncoder(6, width=4, hidden=16), ConvDecoder(3, width=4, hidden=16)
    assert enc(_x(2)).shape == (2, 6)
    assert dec(torch.zeros(2, 3)).shape == (2, 1, 28, 28)
    # an untrained decoder starts from dark images (bias -2)
    with torch.no_grad():
        assert float(torch.sigmoid(dec(torch.zeros(1, 3))).mean()) < 0.3
    assert "latent_dim=4" in repr(VAE(4, width=4, hidden=8, beta=2.0)) and "beta=2" in repr(
        VAE(4, 4, 8, 2.0)
    )


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    m = VAE(latent_dim=2, width=4, hidden=16)
    logits, mu, logvar = m(_x(3))
    (logits.sum() + mu.sum() + logvar.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize(
    "bad, msg",
    [
        (torch.rand(4, 784), "x.view(-1, 1, 28, 28)"),
        (torch.rand(4, 28, 28), "unsqueeze(1)"),
        (torch.rand(1, 28, 28), "unsqueeze(1)"),
        (torch.rand(4, 3, 28, 28), "(B, 1, 28, 28)"),
        (torch.randint(0, 255, (2, 1, 28, 28), dtype=torch.uint8), "255"),
        (torch.rand(2, 1, 28, 28) * 255, "[0, 1]"),
        (torch.full((2, 1, 28, 28), float("nan")), "NaN"),
        ([[0.0]], "torch.Tensor"),
    ],
)
def test_bad_images_give_clear_errors(bad, msg):
    m = VAE(latent_dim=2, width=4, hidden=8)
    with pytest.raises(ValueError, match=None) as e:
        m.encode(bad)
    assert msg in str(e.value)
    with pytest.raises(ValueError):
        AE(latent_dim=2, width=4, hidden=8).encode(bad)


def test_bad_latents_and_params():
    m = VAE(latent_dim=2, width=4, hidden=8)
    with pytest.raises(ValueError, match="unsqueeze"):
        m.decode(torch.zeros(2))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        m.decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="finite"):
        m.decode(torch.full((1, 2), float("inf")))
    for kw in [dict(latent_dim=0), dict(latent_dim=2.5), dict(latent_dim=2, width=0)]:
        with pytest.raises(ValueError):
            VAE(**kw)
    with pytest.raises(ValueError, match="beta"):
        VAE(2, beta=-1.0)


def test_same_seed_same_model():
    torch.manual_seed(3)
    a = VAE(2, width=4, hidden=8)
    torch.manual_seed(3)
    b = VAE(2, width=4, hidden=8)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_decode_accepts_float64_codes():
    m = VAE(latent_dim=1, width=4, hidden=8).eval()
    z = torch.linspace(-3, 3, 7, dtype=torch.float64)[:, None]
    out = m.decode(z)
    assert out.shape == (7, 1, 28, 28) and out.dtype == torch.float32
