import numpy as np
import pytest
import torch

from labkit import viz


def test_image_grid_shapes():
    g = viz.image_grid(torch.rand(10, 1, 28, 28), nrow=5)
    assert g.shape == (2 * 30 + 2, 5 * 30 + 2, 3)
    assert viz.image_grid(np.random.rand(4, 28, 28)).shape[2] == 3


def test_image_grid_bad_input():
    with pytest.raises(ValueError, match="channels"):
        viz.image_grid(torch.rand(2, 5, 8, 8))
    with pytest.raises(ValueError, match="NaN"):
        viz.image_grid(torch.full((2, 1, 8, 8), float("nan")))
    with pytest.raises(ValueError, match="shape"):
        viz.image_grid(torch.rand(8))


def test_plots_and_png(tmp_path):
    import matplotlib.pyplot as plt

    ax = viz.scatter2d(np.random.randn(50, 2), np.arange(50) % 3, title="t")
    ax2 = viz.plot_history({"loss": [3, 2, 1], "acc": [0.1, 0.5, 0.9]})
    p = viz.save_png(ax.figure, tmp_path / "a.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.fig_to_png(ax2.figure)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        viz.scatter2d(np.zeros((5, 3)))
    viz.show_images(torch.rand(4, 1, 28, 28), title="x")
    plt.close("all")
