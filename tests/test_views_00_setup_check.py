"""Notebook 00's slider view (the sine wave), driven headlessly as the notebook's widget would
be."""

from labkit.views import SliderView, float_slider, render_sine


def test_sine_view_rerenders_when_a_slider_moves():
    view = SliderView(
        render_sine,
        title="sine wave",
        freq=float_slider("frequency", 0.5, 5.0, 1.0),
        phase=float_slider("phase", 0.0, 6.28, 0.0),
    )
    before = view.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    view.controls["freq"].value = 3.0
    assert view.image.value != before, "the image should change when the frequency slider moves"
    after_freq = view.image.value
    view.controls["phase"].value = 3.14
    assert view.image.value != after_freq, "the image should change when the phase slider moves"
    assert view.n_renders == 3
