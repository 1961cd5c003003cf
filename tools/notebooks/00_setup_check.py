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
# which **mode** you are in (`fast` on a CPU, `full` on a GPU) and where the data comes from.
# Every later notebook starts with the same first cell.

# %%
import labkit
cfg = labkit.setup(seed=0)

# %% [markdown]
# ## 1. Versions and hardware
# `labkit.preflight()` prints the versions the course needs and, for anything wrong, what to do.

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
# ## 3. A tiny widget
# Move the sliders: the plot should change. If it does not, see the README's troubleshooting section
# (in Colab: widgets need ipywidgets 7.7.x, which Colab ships).

# %%
from labkit.widgets import SliderView, float_slider, render_sine
view = SliderView(render_sine, title="sine wave",
                  freq=float_slider("frequency", 0.5, 5.0, 1.0),
                  phase=float_slider("phase", 0.0, 6.28, 0.0))
view

# %%
# what the slider does, without a browser (this is also how the tests drive widgets)
before = view.image.value
view.controls["freq"].value = 3.0
assert view.image.value != before, "the image should change when the slider moves"
print("widget OK:", view.n_renders, "renders")

# %% [markdown]
# ## 4. A tiny training run
# One epoch of a small classifier on 1,000 images, through the course's training loop
# (`labkit.train.fit`): progress bar, history, NaN guard.

# %%
import torch
from torch import nn
from labkit.train import fit, supervised
small = test.subset(1000)
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
history = fit(net, small.loader(batch_size=100), loss_fn=supervised(nn.CrossEntropyLoss()),
              epochs=2, lr=1e-2, device="cpu")
print("loss per epoch:", [round(v, 3) for v in history["loss"]])

# %% [markdown]
# You are ready. Next: `00b_discriminative_vs_generative.ipynb`, then the labs 01–05.
