"""The slider views of notebook 06, built as the notebook builds them on tiny models: moving each
slider changes the picture."""

import torch
from viewcheck import moves

from labkit.taxonomy import flow as FL
from labkit.taxonomy import pixelcnn as P
from labkit.taxonomy import views as V
from labkit.views import SliderView, float_slider, int_slider


def test_pixel_step_view_changes_with_the_pixel_index():
    torch.manual_seed(0)
    pcnn = P.PixelCNN(channels=4, n_layers=1, first_k=3)
    x = P.sample_pixelcnn(pcnn, 3, seed=1)
    view = SliderView(
        V.render_pixel_step,
        fixed=dict(model=pcnn, samples=x),
        title="PixelCNN: pixel by pixel",
        index=int_slider("pixel index", 0, 784, 300, step=4),
    )
    assert moves(view, "index", 600)
    assert moves(view, "index", 784)  # the end is drawn too
    assert view.last_error is None


def test_flow_time_view_changes_with_t():
    torch.manual_seed(0)
    flow = FL.FlowUNet(base=4, depth=1, emb=8)
    _, traj = FL.sample_flow(flow, 4, steps=3, seed=2, keep=True)
    view = SliderView(
        V.render_flow_time,
        fixed=dict(trajectory=traj, n=4),
        title="flow matching: noise to digits",
        step=int_slider("Euler step", 0, 3, 3),
    )
    assert moves(view, "step", 0)


def test_guidance_view_changes_with_w():
    torch.manual_seed(0)
    flow = FL.FlowUNet(base=4, depth=1, emb=8)
    view = SliderView(
        V.render_guidance,
        fixed=dict(model=flow, steps=2, seed=4, per_class=1),
        title="classifier-free guidance",
        w=float_slider("guidance w", 0.0, 6.0, 1.0, step=0.5),
    )
    assert moves(view, "w", 5.0)
