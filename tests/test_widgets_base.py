"""labkit.views core: SliderView, static_grid, to_png. Runs under ipywidgets 8 (.venv) and
7.7.1 (Colab's version, `make widgets7`), so only APIs common to both are used here too."""

import io

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from labkit.views import (
    SliderView,
    dropdown,
    float_slider,
    int_slider,
    render_sine,
    static_grid,
    to_png,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _decode(png):
    assert png[:8] == PNG_MAGIC
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _error_text(view):
    return "".join(o.get("text", "") for o in view.errors.outputs)


def test_ipywidgets_major_version_is_supported():
    assert ipywidgets.__version__.split(".")[0] in ("7", "8"), ipywidgets.__version__


# ---------------------------------------------------------------- to_png
def test_to_png_from_figure_bytes_and_arrays():
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [0, 1])
    h, w, _ = _decode(to_png(fig)).shape
    assert 20 < h < w < 200
    png = to_png(fig)
    assert to_png(png) == png and to_png(bytearray(png)) == png

    gray = np.linspace(0, 1, 12).reshape(3, 4)
    img = _decode(to_png(gray))
    assert img.shape == (3, 4, 3)
    assert img[0, 0].tolist() == [0, 0, 0] and img[-1, -1].tolist() == [255, 255, 255]

    rgb = np.zeros((5, 6, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    assert _decode(to_png(rgb))[2, 3].tolist() == [200, 0, 0]
    # floats outside [0, 1] are clipped, not wrapped; no per-image autoscaling
    assert _decode(to_png(np.full((2, 2), 7.0)))[0, 0].tolist() == [255, 255, 255]
    assert _decode(to_png(np.full((2, 2), 0.5)))[0, 0].tolist() in ([127] * 3, [128] * 3)
    assert _decode(to_png(np.full((2, 2), 0.0)))[0, 0].tolist() == [0, 0, 0]
    assert _decode(to_png(np.full((2, 2), 200, dtype=np.uint8)))[0, 0].tolist() == [200] * 3


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((2, 3, 4, 5))])
def test_to_png_rejects_bad_shapes_with_a_clear_message(bad):
    with pytest.raises(ValueError, match=r"\(H, W\[, C\]\) array; got shape"):
        to_png(bad)


# ---------------------------------------------------------------- controls
def test_controls_are_core_widgets_without_continuous_update():
    k = int_slider("k", 1, 9, 3)
    f = float_slider("bandwidth", 0.1, 2.0, 0.5)
    d = dropdown("digit", [0, 1, 2], 1)
    assert isinstance(k, ipywidgets.IntSlider) and (k.min, k.max, k.value) == (1, 9, 3)
    assert isinstance(f, ipywidgets.FloatSlider) and f.value == 0.5 and f.readout_format == ".2f"
    assert isinstance(d, ipywidgets.Dropdown) and d.value == 1
    assert dropdown("x", {"a": 10, "b": 20}).value == 10
    assert not k.continuous_update and not f.continuous_update
    assert [k.description, f.description, d.description] == ["k", "bandwidth", "digit"]
    assert int_slider("n", 2, 5).value == 2  # default: the minimum


# ---------------------------------------------------------------- SliderView
def test_slider_moves_replace_the_image_in_place():
    calls = []

    def render(freq, phase, scale):
        calls.append((freq, phase, scale))
        return render_sine(freq * scale, phase)

    view = SliderView(
        render,
        fixed={"scale": 1.0},
        title="sine wave",
        freq=float_slider("frequency", 0.5, 5.0, 1.0),
        phase=float_slider("phase", 0.0, 6.28, 0.0),
    )
    assert calls == [(1.0, 0.0, 1.0)] and view.n_renders == 1
    image = view.image
    first = view.image.value
    assert isinstance(image, ipywidgets.Image) and image.format == "png" and first[:8] == PNG_MAGIC

    view.controls["freq"].value = 3.0
    assert calls[-1] == (3.0, 0.0, 1.0) and view.n_renders == 2
    assert view.image is image, "the same Image widget must be updated, not replaced"
    second = view.image.value
    assert second != first
    assert np.abs(_decode(second).astype(int) - _decode(first).astype(int)).max() > 100

    view.controls["phase"].value = 1.5
    assert calls[-1] == (3.0, 1.5, 1.0) and view.image.value not in (first, second)
    assert view.values() == {"scale": 1.0, "freq": 3.0, "phase": 1.5}
    assert view.last_error is None and view.errors.outputs == ()


def test_the_widget_tree_holds_title_controls_image_and_error_output():
    f = float_slider("frequency", 0.5, 5.0, 1.0)
    view = SliderView(render_sine, title="sine wave", width=300, freq=f)
    kids = view.widget.children
    assert isinstance(view.widget, ipywidgets.VBox)
    assert isinstance(kids[0], ipywidgets.HTML) and "sine wave" in kids[0].value
    assert kids[1] is f and kids[2] is view.image and kids[3] is view.errors
    assert isinstance(view.errors, ipywidgets.Output)
    assert view.image.layout.width == "300px"
    untitled = SliderView(render_sine, freq=float_slider("frequency", 0.5, 5.0, 1.0))
    assert untitled.widget.children[0] is untitled.controls["freq"]


def test_array_and_png_renders_work_too():
    view = SliderView(lambda level: np.full((8, 8), level), level=float_slider("level", 0, 1, 0.2))
    before = view.image.value
    view.controls["level"].value = 0.8
    assert _decode(view.image.value)[0, 0, 0] > _decode(before)[0, 0, 0]
    png = to_png(np.zeros((4, 4)))
    assert SliderView(lambda n: png, n=int_slider("n", 0, 3)).image.value == png


def test_dropdown_controls_drive_the_view():
    view = SliderView(
        lambda digit: np.eye(10)[digit : digit + 3], digit=dropdown("digit", list(range(8)))
    )
    before = view.image.value
    view.controls["digit"].value = 5
    assert view.image.value != before and view.n_renders == 2


def test_render_errors_are_captured_into_the_output_and_the_old_image_stays():
    def render(k):
        if k == 3:
            raise RuntimeError("k=3 is broken")
        return np.full((4, 4), k / 10)

    view = SliderView(render, title="fragile", k=int_slider("k", 1, 5, 1))
    good = view.image.value
    view.controls["k"].value = 3  # a callback: must not raise, must show the error
    assert view.image.value == good and view.n_renders == 1
    text = _error_text(view)
    assert "render failed for {'k': 3}" in text
    assert "Traceback" in text and "RuntimeError: k=3 is broken" in text
    assert view.last_error and "RuntimeError" in view.last_error
    assert view.errors.outputs[0]["output_type"] == "stream"
    assert view.errors.outputs[0]["name"] == "stderr"

    view.controls["k"].value = 3  # no change -> no callback; still shown
    assert "k=3 is broken" in _error_text(view)
    view.controls["k"].value = 4  # a good render clears the error
    assert view.errors.outputs == () and view.last_error is None
    assert view.image.value != good and view.n_renders == 2

    with pytest.raises(RuntimeError, match="k=3"):  # called directly, update() raises
        view.controls["k"].unobserve_all()
        view.controls["k"].value = 3
        view.update()
    assert len(view.errors.outputs) == 1, "one error message, not stacked ones"


def test_a_failing_first_render_raises_in_the_cell():
    with pytest.raises(ZeroDivisionError):
        SliderView(lambda k: 1 / 0, k=int_slider("k", 0, 2))


def test_render_must_return_an_image():
    view = SliderView(
        lambda k: np.zeros((2, 2)) if k == 0 else "not an image", k=int_slider("k", 0, 2)
    )
    view.controls["k"].value = 1
    assert "got shape ()" in _error_text(view)


# ---------------------------------------------------------------- static_grid
def test_static_grid_renders_each_parameter_set():
    seen = []

    def render(k, scale):
        seen.append((k, scale))
        return np.full((6, 6), k / 4)

    fig = static_grid(render, [{"k": 0}, {"k": 2}, {"k": 4}], ncols=2, fixed={"scale": 1})
    try:
        assert seen == [(0, 1), (2, 1), (4, 1)]
        axes = fig.axes
        assert len(axes) == 4  # 2 x 2, the last one blank
        assert [ax.get_title() for ax in axes[:3]] == ["k=0", "k=2", "k=4"]
        assert not axes[3].images
        means = [ax.images[0].get_array().mean() for ax in axes[:3]]
        assert means[0] < means[1] < means[2]
        assert to_png(fig)[:8] == PNG_MAGIC
    finally:
        plt.close(fig)


def test_static_grid_titles_and_float_formatting():
    fig = static_grid(lambda f: render_sine(f), [{"f": 1.23456}, {"f": 2.0}])
    try:
        assert [ax.get_title() for ax in fig.axes] == ["f=1.23", "f=2"]
    finally:
        plt.close(fig)
    fig = static_grid(lambda f: render_sine(f), [{"f": 1.0}], titles=["one"])
    try:
        assert fig.axes[0].get_title() == "one"
    finally:
        plt.close(fig)


def test_render_sine_labels_its_axes():
    fig = render_sine(2.0, 0.5)
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "t" and ax.get_ylabel() == "sin(2.00 t + 0.50)"
        y = ax.lines[0].get_ydata()
        assert np.isclose(y[0], np.sin(0.5))
    finally:
        plt.close(fig)
