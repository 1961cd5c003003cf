"""Lab 06 helpers: PixelCNN causality and exact normalisation, flow matching, the table."""

import math

import pytest
import torch

from labkit.taxonomy import flow as FL
from labkit.taxonomy import pixelcnn as P
from labkit.taxonomy import table as T


def _dependencies(model, h=6, w=6):
    """dep[i, j] = output logit at pixel i has a nonzero gradient w.r.t. input pixel j."""
    x = torch.rand(1, 1, h, w, requires_grad=True)
    out = model(x)[0, 0].flatten()
    rows = []
    for i in range(h * w):
        (g,) = torch.autograd.grad(out[i], x, retain_graph=True)
        rows.append(g.flatten() != 0)
    return torch.stack(rows)


@pytest.mark.parametrize("first_k,n_layers", [(3, 1), (5, 3), (7, 2)])
def test_pixelcnn_is_causal_by_gradients(first_k, n_layers):
    torch.manual_seed(0)
    dep = _dependencies(P.PixelCNN(channels=4, n_layers=n_layers, first_k=first_k))
    n = dep.shape[0]
    later_or_self = torch.triu(torch.ones(n, n, dtype=torch.bool))  # j >= i
    assert not (dep & later_or_self).any(), "an output depends on its own or a later pixel"
    assert dep[n - 1, : n - 1].any(), "the model should use earlier pixels"


def test_mask_b_first_layer_leaks():
    torch.manual_seed(0)
    leaky = P.PixelCNN(
        channels=4, n_layers=1, first_k=3, mask_fn=lambda k, kind: P.causal_mask(k, "B")
    )
    assert torch.diagonal(_dependencies(leaky)).all()


def test_masks():
    a, b = P.causal_mask(3, "A"), P.causal_mask(3, "B")
    assert a.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError):
        P.causal_mask(4, "A")
    with pytest.raises(ValueError):
        P.causal_mask(3, "C")


def test_exact_likelihood_sums_to_one_on_the_toy_space():
    assert P.all_binary_images(4, 4).shape == (65536, 1, 4, 4)
    assert len(torch.unique(P.all_binary_images(2, 3).flatten(1), dim=0)) == 64
    for seed in (0, 1):
        torch.manual_seed(seed)
        m = P.PixelCNN(channels=6, n_layers=2, first_k=3)
        with torch.no_grad():  # make the conditionals far from 1/2
            for p in m.parameters():
                p.mul_(3)
        assert abs(P.total_probability(m) - 1) < 1e-9
        assert next(m.parameters()).dtype == torch.float32  # the model itself is left alone
    torch.manual_seed(0)
    leaky = P.PixelCNN(
        channels=6, n_layers=2, first_k=3, mask_fn=lambda k, kind: P.causal_mask(k, "B")
    )
    assert abs(P.total_probability(leaky) - 1) > 1e-3


def test_bernoulli_log_likelihood_by_hand():
    logits = torch.tensor([[[[0.0, 2.0]]]])
    x = torch.tensor([[[[1.0, 0.0]]]])
    want = math.log(0.5) + math.log(1 - 1 / (1 + math.exp(-2.0)))
    assert torch.allclose(P.bernoulli_log_likelihood(logits, x), torch.tensor([want]), atol=1e-6)


def test_windowed_sampling_matches_full_forward():
    torch.manual_seed(0)
    m = P.PixelCNN(channels=6, n_layers=3, first_k=5)
    x, probs = P.sample_pixelcnn(m, 4, size=(12, 10), seed=0, keep_probs=True)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(P.next_pixel_map(m, x), probs, atol=1e-5)
    assert P.sample_pixelcnn.last_seconds > 0
    part = P.sample_pixelcnn(m, 2, size=(12, 10), upto=15)
    assert not part.flatten(1)[:, 15:].any()


def test_flow_matching_loss_by_hand():
    x1 = torch.tensor([[[[1.0, 3.0]]]])  # (1, 1, 1, 2)
    x0 = torch.tensor([[[[-1.0, 1.0]]]])
    t = torch.tensor([0.25])
    seen = {}

    def v(xt, tt):
        seen["xt"], seen["t"] = xt, tt
        return torch.full_like(xt, 1.0)

    loss = FL.flow_matching_loss(v, x1, x0, t)
    # x_t = 0.75 x0 + 0.25 x1 = [-0.5, 1.5]; target x1 - x0 = [2, 2]; (1 - 2)^2 averaged = 1
    assert torch.allclose(seen["xt"], torch.tensor([[[[-0.5, 1.5]]]]))
    assert float(loss) == pytest.approx(1.0)
    assert float(FL.flow_matching_loss(lambda xt, tt: x1 - x0, x1, x0, t)) == 0.0


def test_euler_step_and_sampler_integrate_a_known_field():
    # dx/dt = 1 from t = 0 to 1: every Euler path ends at x0 + 1 exactly
    step = FL.euler_step(
        lambda x, t: torch.ones_like(x), torch.zeros(2, 1, 2, 2), torch.zeros(2), 0.1
    )
    assert torch.allclose(step, torch.full((2, 1, 2, 2), 0.1))

    class Const(torch.nn.Module):
        n_classes = 10

        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, t, y=None):
            return torch.ones_like(x)

    x0 = torch.full((3, 1, 28, 28), -1.0)
    out, traj = FL.sample_flow(Const(), 3, steps=4, x0=x0, keep=True)
    assert torch.allclose(out, torch.full_like(out, 0.5))  # -1 + 1 = 0 -> pixel 0.5
    assert traj.shape == (5, 3, 1, 28, 28)


def test_flow_unet_shapes_labels_and_guidance():
    torch.manual_seed(0)
    m = FL.FlowUNet(base=4, depth=2, emb=8).eval()
    x, t, y = torch.randn(3, 1, 28, 28), torch.rand(3), torch.tensor([1, 2, 3])
    assert m(x, t).shape == (3, 1, 28, 28)
    assert not torch.allclose(m(x, t, y), m(x, t))  # the label changes v
    assert not torch.allclose(m(x, t), m(x, t + 0.5))  # so does the time
    vc, vu = m(x, t, y), m(x, t)
    guided = FL.guided_velocity(m, y, 3.0)(x, t)
    assert torch.allclose(guided, vu + 3 * (vc - vu), atol=1e-5)
    assert torch.allclose(FL.guided_velocity(m, y, 0.0)(x, t), vu, atol=1e-5)


def test_train_flow_and_pixelcnn_reduce_their_loss():
    g = torch.Generator().manual_seed(0)
    imgs = (torch.rand(64, 1, 28, 28, generator=g) < 0.2).float()
    torch.manual_seed(0)
    pc = P.PixelCNN(channels=4, n_layers=1, first_k=3)
    before = -P.log_prob(pc, imgs).mean()
    run = P.train_pixelcnn(pc, imgs, epochs=3, batch_size=16, progress=False)
    assert -P.log_prob(pc, imgs).mean() < before and run.seconds > 0
    fl = FL.FlowUNet(base=4, depth=1, emb=8)
    run = FL.train_flow(fl, imgs, torch.arange(64) % 10, epochs=2, batch_size=16, progress=False)
    assert all(math.isfinite(v) for v in run.history["loss"])


class _Judge(torch.nn.Module):
    """A stand-in for the judge: class = which of 10 row bands holds most ink."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def features(self, x):
        return x.view(len(x), 28, 28)[:, :20, :].reshape(len(x), 10, -1).sum(2)

    def forward(self, x):
        return self.features(x)


def test_table_row_and_format():
    x = torch.zeros(40, 1, 28, 28)
    for i in range(40):
        x[i, 0, 2 * (i % 10) : 2 * (i % 10) + 2, :20] = 1 + 0.01 * i
    x = x.clamp(0, 1)
    judge = _Judge()
    assert T.digit_coverage(x, judge) == 10
    assert T.digit_coverage(x[:4], judge) == 4
    row = T.measure_row("toy", x, 2.0, 3.0, judge, x.flip(0), labels=torch.arange(40) % 10)
    assert row["samples_per_s"] == 20.0 and row["label_acc"] == 1.0 and row["frechet"] >= -1e-4
    text = T.format_table([row])
    assert "toy" in text and "100.0%" in text and "10/10" in text
    ref = T.measure_row("shipped", x, None, None, judge, x.flip(0))  # a reference: not timed here
    assert ref["samples_per_s"] is None and ref["train_s"] is None
    last = T.format_table([row, ref]).splitlines()[-1].split()
    assert last[0] == "shipped" and last[-2:] == ["-", "-"]
