"""Interactive views: a pure render function plus a thin ipywidgets wrapper.

Pattern (see DESIGN.md): ``render_...(**params) -> Figure | PNG bytes | array`` is tested
headlessly; :class:`SliderView` shows its output in one ``widgets.Image(format="png")``
whose ``.value`` is replaced in place (no flicker, no stacked figures). Callbacks run inside
``@out.capture()`` of a small ``Output`` so an error is shown in the notebook (JupyterLab drops
callback tracebacks otherwise). Only core widgets and APIs shared by ipywidgets 7.7 and 8.
"""

from __future__ import annotations

import io
import traceback
from typing import Callable

import numpy as np

from labkit.viz import fig_to_png

__all__ = [
    "to_png",
    "SliderView",
    "int_slider",
    "float_slider",
    "dropdown",
    "static_grid",
    "render_sine",
]


def to_png(obj) -> bytes:
    """Figure, PNG bytes, or an image array (H, W[, 3]) in [0, 1] or uint8 -> PNG bytes."""
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    if hasattr(obj, "savefig"):
        return fig_to_png(obj)
    arr = np.asarray(obj)
    if arr.ndim not in (2, 3):
        raise ValueError(
            "render functions must return a Figure, PNG bytes or an (H, W[, C]) array; "
            f"got shape {arr.shape}"
        )
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 1)
    # fixed range: a float image means 0 = black, 1 = white (no per-image autoscaling, which
    # would make a constant image black and hide brightness changes between slider positions)
    vmax = 255 if arr.dtype == np.uint8 else 1
    plt.imsave(buf, arr, format="png", cmap="gray" if arr.ndim == 2 else None, vmin=0, vmax=vmax)
    return buf.getvalue()


def _w():
    import ipywidgets as widgets

    return widgets


def int_slider(description, min, max, value=None, step=1, continuous_update=False, width="420px"):
    w = _w()
    return w.IntSlider(
        value=min if value is None else value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=continuous_update,
        style={"description_width": "initial"},
        layout=w.Layout(width=width),
    )


def float_slider(
    description,
    min,
    max,
    value=None,
    step=0.01,
    continuous_update=False,
    width="420px",
    readout_format=".2f",
):
    w = _w()
    return w.FloatSlider(
        value=min if value is None else value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=continuous_update,
        readout_format=readout_format,
        style={"description_width": "initial"},
        layout=w.Layout(width=width),
    )


def dropdown(description, options, value=None):
    w = _w()
    return w.Dropdown(
        options=options,
        value=value
        if value is not None
        else list(options)[0]
        if not isinstance(options, dict)
        else list(options.values())[0],
        description=description,
        style={"description_width": "initial"},
    )


class SliderView:
    """Controls + one PNG image, re-rendered in place when a control changes.

    >>> view = SliderView(render_sine, freq=float_slider("frequency", 0.5, 5, 1.0))
    >>> view.controls["freq"].value = 2.0     # the image updates (also headless)
    >>> view                                  # display in a notebook

    ``render(**values)`` gets one keyword per control (plus ``fixed`` keywords).
    """

    def __init__(
        self,
        render: Callable,
        fixed: dict | None = None,
        title: str | None = None,
        width: int | None = None,
        **controls,
    ):
        w = _w()
        self.render = render
        self.fixed = dict(fixed or {})
        self.controls = controls
        self.image = w.Image(format="png")
        if width:
            self.image.layout.width = f"{width}px"
        self.errors = w.Output(layout=w.Layout(max_height="240px", overflow="auto"))
        self.n_renders = 0
        self.last_error: str | None = None
        header = [w.HTML(f"<b>{title}</b>")] if title else []
        self.widget = w.VBox(header + list(controls.values()) + [self.image, self.errors])
        for c in controls.values():
            c.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict:
        return {**self.fixed, **{k: c.value for k, c in self.controls.items()}}

    def update(self):
        """Render with the current control values and replace the image.

        A failing render leaves the old image, writes the traceback into ``self.errors`` (an
        ``Output`` shown under the image) and raises. The text is appended to the Output's
        model directly, so it shows the same way in ipywidgets 7.7 and 8, in a kernel or not."""
        try:
            png = to_png(self.render(**self.values()))
        except Exception:
            self.last_error = traceback.format_exc()
            self.errors.outputs = ()
            self.errors.append_stderr(f"render failed for {self.values()}:\n{self.last_error}")
            raise
        self.image.value = png
        self.last_error = None
        self.n_renders += 1
        if self.errors.outputs:
            self.errors.outputs = ()

    def _on_change(self, change):
        try:
            self.update()
        except Exception:  # noqa: BLE001 - already shown in self.errors; a callback must not raise
            pass

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kw):
        # ipywidgets 8 prefers _repr_mimebundle_; 7.7 uses _ipython_display_
        if hasattr(self.widget, "_repr_mimebundle_"):
            return self.widget._repr_mimebundle_(**kw)
        return None


def static_grid(
    render: Callable,
    param_list: list[dict],
    ncols: int = 4,
    titles=None,
    figsize_per=(3, 3),
    fixed: dict | None = None,
):
    """The static version of a slider view (shown in fast mode so nbval runs the same code):
    render each parameter set and show them side by side. Returns the Figure."""
    import matplotlib.pyplot as plt
    from PIL import Image

    n = len(param_list)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(figsize_per[0] * ncols, figsize_per[1] * nrows), squeeze=False
    )
    for ax in axes.flat:
        ax.set_axis_off()
    for i, params in enumerate(param_list):
        img = Image.open(io.BytesIO(to_png(render(**{**(fixed or {}), **params}))))
        ax = axes.flat[i]
        ax.imshow(np.asarray(img))
        ax.set_title(
            titles[i]
            if titles
            else ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
            ),
            fontsize=9,
        )
    fig.tight_layout()
    return fig


def render_sine(freq: float = 1.0, phase: float = 0.0):
    """The course's smallest widget example (notebook 00): a sine wave."""
    import matplotlib.pyplot as plt

    t = np.linspace(0, 2 * np.pi, 400)
    fig, ax = plt.subplots(figsize=(4.5, 2.5))
    ax.plot(t, np.sin(freq * t + phase))
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("t")
    ax.set_ylabel(f"sin({freq:.2f} t + {phase:.2f})")
    ax.set_title("move the sliders")
    return fig
