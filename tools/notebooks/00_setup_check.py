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
# `preflight()` ("preflight": the checks before take-off) prints the versions the course needs
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
# A few epochs (passes over the data) of a small classifier, through the course's training loop
# (`labkit.train.fit`): a progress bar, the loss history, and a NaN guard (training stops with a
# message if the loss becomes NaN, "not a number", instead of running on). The mode sets the size:
# 1,000 images for 2 epochs in fast mode, 8,000 images for 10 epochs in full mode. The test images
# are kept apart from the training images, and the loss should fall from the first epoch to the last.

# %%
import torch
from torch import nn
from labkit.data import mnist_splits
from labkit.train import fit, supervised
size = labkit.by_mode(fast=dict(n_train=1000, epochs=2), full=dict(n_train=8000, epochs=10))
train, test = mnist_splits(size.n_train, 1000)
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
history = fit(net, train.loader(batch_size=100), loss_fn=supervised(nn.CrossEntropyLoss()),
              epochs=size.epochs, lr=1e-2, device="cpu")
print(len(train), "images | loss per epoch:", [round(v, 3) for v in history["loss"]])

# %% tags=["claim"]
assert history["loss"][-1] < history["loss"][0], f"the training loss should fall: {history['loss']}"

# %% [markdown]
# How good is it? The **accuracy** is the fraction of test images whose most probable class is the
# true digit. In fast mode the course also ships the same network trained at full-mode size (a
# *full-size reference*, made by `benchmarks/reference.py --only mnist_mlp`, loaded offline and
# checked against its sha256). It was trained on part of MNIST's test split, so both are scored
# only on the test images it never saw (`ref.held_out`).

# %%
def accuracy(net, data):
    with torch.no_grad():
        return float((net(data.images).argmax(1) == data.labels).float().mean())


show_ref = cfg.fast and test.source == "mnist"      # the reference is an MNIST model
if show_ref:
    from labkit.data.reference import reference_mnist_mlp
    net_ref, ref = reference_mnist_mlp()
    held = ref.held_out(test)                      # the test images the reference never saw
    acc_mine, acc_ref = accuracy(net, held), accuracy(net_ref, held)
    print(f"test accuracy on {len(held)} held-out images | your model: {acc_mine:.1%}; "
          f"full-size reference: {acc_ref:.1%}")
else:
    print(f"test accuracy on {len(test)} images: {accuracy(net, test):.1%}"
          + (" (full size)" if not cfg.fast else " (no reference: it was trained on MNIST, not on the digits fallback)"))

# %% [markdown]
# **Reading.** With eight times the images and five times the epochs, the same small network makes
# noticeably fewer mistakes: the fast run is a check that everything works, not the best this model
# can do.

# %% tags=["claim"]
if show_ref:
    assert acc_ref > acc_mine, f"the full-size reference should be more accurate: {acc_ref:.3f} vs {acc_mine:.3f}"

# %% [markdown]
# You are ready. Next: `00b_discriminative_vs_generative.ipynb`, then the labs 01–06.
