"""UNet (labkit.segmentation.unet): shapes for odd sizes, skip ablation, bad input, gradients."""

import pytest
import torch

from labkit.segmentation.unet import DoubleConv, UNet, Up, count_parameters, match_size


@pytest.mark.parametrize("size", [(1, 1), (5, 7), (31, 33), (64, 64), (17, 40)])
@pytest.mark.parametrize("skip", [True, False])
def test_output_size_equals_input_size(size, skip):
    torch.manual_seed(0)
    net = UNet(3, 4, base_channels=4, depth=3, skip=skip)
    y = net(torch.randn(2, 3, *size))
    assert y.shape == (2, 4, *size)


@pytest.mark.parametrize("depth", [0, 1, 2, 4])
def test_depths(depth):
    net = UNet(1, 2, base_channels=4, depth=depth)
    assert net(torch.randn(1, 1, 19, 23)).shape == (1, 2, 19, 23)
    feats = net.features(torch.randn(1, 1, 19, 23))
    assert "bottleneck" in feats and len([k for k in feats if k.startswith("enc")]) == depth
    if depth:
        # encoder level d has B*2^d channels and ceil(H/2^d) rows
        assert feats[f"enc{depth - 1}"].shape[1] == 4 * 2 ** (depth - 1)
        assert feats["bottleneck"].shape[-2] == -(-19 // 2**depth)


def test_skip_false_has_fewer_parameters_and_differs():
    a = UNet(3, 3, base_channels=8, depth=3, skip=True)
    b = UNet(3, 3, base_channels=8, depth=3, skip=False)
    assert count_parameters(b) < count_parameters(a)
    # the skip concatenation: the first conv of each decoder block sees skip + up channels
    assert a.up[-1].conv[0].in_channels == 8 + 8
    assert b.up[-1].conv[0].in_channels == 8


def test_skip_carries_information_the_bottleneck_loses():
    """With skips, the output depends on fine detail even when the bottleneck path is cut."""
    torch.manual_seed(0)
    net = UNet(1, 1, base_channels=4, depth=2, skip=True).eval()
    x = torch.randn(1, 1, 16, 16, requires_grad=True)
    net(x)[0, 0, 8, 8].backward()
    # receptive field through the level-0 skip: the gradient is non-zero near the pixel
    assert x.grad[0, 0, 6:11, 6:11].abs().sum() > 0


def test_match_size_crops_and_pads():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    assert match_size(x, (3, 3)).shape == (1, 1, 3, 3)
    assert match_size(x, (5, 6)).shape == (1, 1, 5, 6)
    assert torch.equal(match_size(x, (4, 4)), x)


def test_up_step_shapes_and_order():
    up = Up(8, 4, 4)
    y = up(torch.randn(2, 8, 3, 3), torch.randn(2, 4, 5, 5))
    assert y.shape == (2, 4, 5, 5)
    assert up.conv[0].in_channels == 4 + 4


def test_double_conv_keeps_size():
    assert DoubleConv(3, 5)(torch.randn(1, 3, 7, 9)).shape == (1, 5, 7, 9)


def test_bad_input_names_shape():
    net = UNet(3, 2, base_channels=4, depth=2)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        net(torch.randn(1, 1, 16, 16))
    with pytest.raises(ValueError, match="in_channels"):
        net(torch.randn(3, 16, 16))
    with pytest.raises(ValueError, match="num_classes"):
        UNet(3, 0)


def test_gradients_finite_and_predict():
    torch.manual_seed(0)
    net = UNet(3, 3, base_channels=4, depth=2)
    x = torch.randn(2, 3, 13, 11)
    loss = torch.nn.functional.cross_entropy(net(x), torch.randint(0, 3, (2, 13, 11)))
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)
    pred = net.predict(x)
    assert pred.shape == (2, 13, 11) and pred.dtype == torch.long and net.training


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_norms(norm):
    net = UNet(3, 3, base_channels=4, depth=2, norm=norm)
    assert net(torch.randn(1, 3, 9, 9)).shape == (1, 3, 9, 9)


def test_cond_dim_zero_keeps_the_plain_unet():
    torch.manual_seed(0)
    a = UNet(1, 2, base_channels=4, depth=2)
    torch.manual_seed(0)
    b = UNet(1, 2, base_channels=4, depth=2, cond_dim=0)
    assert list(a.state_dict()) == list(b.state_dict())
    x = torch.randn(2, 1, 12, 12)
    assert torch.equal(a.eval()(x), b.eval()(x))
    with pytest.raises(ValueError, match="cond_dim=0"):
        a(x, torch.zeros(2, 3))


def test_cond_dim_adds_a_conditioning_vector():
    torch.manual_seed(0)
    net = UNet(1, 1, base_channels=4, depth=2, norm="none", cond_dim=6)
    x, c = torch.randn(3, 1, 10, 10), torch.randn(3, 6)
    out = net(x, c)
    assert out.shape == (3, 1, 10, 10)
    assert not torch.allclose(out, net(x, c + 1))
    assert torch.allclose(net(x[:1], c[:1]), out[:1], atol=1e-6)  # per-image conditioning
    with pytest.raises(ValueError, match=r"\(3, 6\)"):
        net(x)
    with pytest.raises(ValueError, match=r"\(3, 6\)"):
        net(x, torch.zeros(3, 5))
