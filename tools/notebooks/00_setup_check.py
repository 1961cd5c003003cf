# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Setup check
#
# Run this notebook first. It checks that Python, PyTorch and the widgets work, tells you
# which **mode** you are in and where the data comes from. The mode sets the sizes of every
# notebook: `fast` (small data, few epochs: minutes on a laptop CPU, the default without a GPU) or
# `full` (the published sizes, meant for a GPU, the default with one). Every later notebook starts
# with the same first cell, which prints the mode, the device, the random seed and the data source.

# %%
import labkit
cfg = labkit.setup(seed=0)

# %% [markdown]
# ## 1. Versions and hardware
# `labkit.preflight()` ("preflight": the checks before take-off) prints the versions the course needs
# and, for anything wrong or missing, what to do. Without a GPU it says so: that is fine in fast mode.

# %%
from labkit.preflight import preflight
info = preflight()

# %% [markdown]
# ## 2. Data
# MNIST comes from torchvision when there is a network, from the official files when they are on
# disk (`LABKIT_DATA`), and otherwise from scikit-learn's small digits set (with a warning).

# %%
from labkit.data import load_mnist
from labkit.viz import show_images, use_style
use_style()
test = load_mnist("test")
print(test)
show_images(test.images[:32], nrow=16, title=f"source: {test.source}, split: {test.split}");

# %% [markdown]
# **Reading.** You should see 32 handwritten digits, white on black, and in the title the source the
# loader used. If the title says `digits`, you are on the small fallback set: the labs still run, but
# their numbers will differ from the ones quoted for MNIST.

# %% tags=["claim"]
assert test.source in ("mnist", "digits"), f"unknown MNIST source {test.source!r}"
assert tuple(test.images.shape[1:]) == (1, 28, 28), f"images should be 1 x 28 x 28, got {tuple(test.images.shape)}"
assert 0 <= float(test.images.min()) and float(test.images.max()) <= 1, "pixels should be in [0, 1]"

# %% [markdown]
# ## 3. A tiny widget
# Move the sliders: the plot should change. If it does not, see the README's troubleshooting section
# (in Colab: widgets need ipywidgets 7.7.x, which Colab ships).

# %%
from labkit.views import SliderView, float_slider, render_sine
view = SliderView(render_sine, title="sine wave",
                  freq=float_slider("frequency", 0.5, 5.0, 1.0),
                  phase=float_slider("phase", 0.0, 6.28, 0.0))
view

# %% [markdown]
# **Reading.** Below the sliders you should see one sine curve. Moving the *frequency* slider packs
# more waves into the plot; moving the *phase* slider shifts the curve sideways. The picture is
# replaced in place (no flicker, no second figure).

# %% tags=["claim"]
assert view.n_renders >= 1 and view.image.value[:8] == b"\x89PNG\r\n\x1a\n", "the view should have drawn a PNG"

# %% [markdown]
# ## 4. A tiny training run
# Two epochs (passes over the data) of a small classifier on 1,000 images, through the course's
# training loop (`labkit.train.fit`): a progress bar, the loss history, and a NaN guard (training
# stops with a message if the loss becomes NaN, "not a number", instead of running on). The loss
# should fall from the first epoch to the second.

# %%
import torch
from torch import nn
from labkit.train import fit, supervised
small = test.subset(1000)
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
history = fit(net, small.loader(batch_size=100), loss_fn=supervised(nn.CrossEntropyLoss()),
              epochs=2, lr=1e-2, device="cpu")
print(len(small), "images | loss per epoch:", [round(v, 3) for v in history["loss"]])

# %% tags=["claim"]
assert history["loss"][-1] < history["loss"][0], f"the training loss should fall: {history['loss']}"

# %% [markdown]
# You are ready. Next: `00b_discriminative_vs_generative.ipynb`, then the labs 01–06.
