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
# # Lab 03 · UNet: semantic segmentation from scratch
#
# The lecture's supervised tasks go from one label per image (classification: *cat*) to one label
# per **pixel** (semantic segmentation: GRASS, CAT, TREE, SKY). In this lab you build the network
# that made dense prediction practical, the **UNet** (Ronneberger et al., 2015), train it, and take
# it apart.
#
# **Objectives**
# 1. See why pixel accuracy misleads and what IoU measures.
# 2. Write the UNet's two building blocks: the double convolution and the up-step with concatenation.
# 3. Write the soft Dice loss and train with cross-entropy + Dice.
# 4. Browse predictions, remove the skip connections (ablation) and see what is lost.
# 5. Look inside: the feature maps at each depth.
#
# In `fast` mode (CPU) everything runs in about a minute on small 32x32 images; `full` mode (GPU)
# uses 64x64 images, a wider net, and trains on real photos (Oxford-IIIT Pet) too.

# %%
import labkit
cfg = labkit.setup(seed=0, threads=1)

# %% [markdown]
# ## 1. From classification to dense prediction
# A classifier maps an image `(3, H, W)` to `K` scores. A segmentation network maps it to `K` scores
# **per pixel**: logits `(K, H, W)`, trained with one label per pixel (a *mask* `(H, W)`).
#
# Our data needs no download: synthetic scenes with four object classes (**disc, box, triangle,
# cross**) of random size, rotation, texture and colour, overlapping each other, on cluttered
# backgrounds (gradients, blotches, thin lines and dots that belong to the background), with noise.
# Like grass and sky, each class has a *typical* hue, but clutter comes in every hue: the network must
# use shape and context too.

# %%
import torch
import matplotlib.pyplot as plt
from labkit.data.segmentation import shapes_splits
from labkit.viz import use_style, plot_history
from labkit.viz_seg import show_segmentation
use_style()
sizes = labkit.by_mode(
    fast=dict(size=32, n_train=1500, n_val=300, base=16, depth=3, epochs=5, batch_size=32, lr=5e-3),
    full=dict(size=64, n_train=8000, n_val=1000, base=32, depth=4, epochs=30, batch_size=64, lr=3e-3))
train, val = shapes_splits(sizes.n_train, sizes.n_val, size=sizes.size, seed=0)
classes, K = train.classes, train.num_classes
print(train, val, sep="\n")
show_segmentation(val.images[:8], val.masks[:8], classes=classes, n=8);

# %% [markdown]
# Top row: the images; bottom row: their masks, one colour per class. How many pixels does each class
# cover?

# %%
for name, f in zip(classes, train.class_frequencies()):
    print(f"{name:>10s}: {100 * f:5.1f} % of pixels")

# %% [markdown]
# **Question.** A "model" that answers *background* everywhere: what is its pixel accuracy? Guess,
# then run the next cell. Why is that number useless, and what does the **intersection over union**
# IoU_c = |pred = c and true = c| / |pred = c or true = c| do better? (mean IoU averages it over
# classes, so a missed small class costs as much as a missed large one.)

# %%
from labkit.metrics.segmentation import iou_per_class, mean_iou, pixel_accuracy
all_background = torch.zeros_like(val.masks)
print(f"pixel accuracy {pixel_accuracy(all_background, val.masks, K):.3f}")
print(f"mean IoU       {mean_iou(all_background, val.masks, K):.3f}")
print("IoU per class ", [round(v, 2) for v in iou_per_class(all_background, val.masks, K).tolist()])

# %% [markdown]
# ## 2. The building blocks
# The UNet is an encoder (contracting path: convolutions and 2x2 max pooling, so each level sees
# twice the context at half the resolution) and a decoder (expanding path: upsampling back to the
# input size). Its trademark: **skip connections** that hand each decoder level the encoder's
# full-resolution features of the same level.
#
# ### Exercise 2.1: the double convolution
# Every level applies the same block: (3x3 convolution with `padding=1` → `BatchNorm2d` → `ReLU`),
# twice. `padding=1` ("same" padding) keeps height and width, unlike the original paper's
# unpadded convolutions, so the output mask lines up with the input pixel for pixel.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "unet-double-conv"}
from torch import nn

def double_conv(in_channels, out_channels):
    """(conv 3x3, padding 1 -> BatchNorm2d -> ReLU) x 2 as an nn.Sequential:
    (N, in_channels, H, W) -> (N, out_channels, H, W)."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU())
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "unet-double-conv-test", "points": 2}
from labkit.checks import unet as checks
checks.double_conv(double_conv)
### BEGIN HIDDEN TESTS
assert checks.double_conv(double_conv, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.2: the up-step with concatenation
# One decoder level receives `x` from the level below, `(N, C, h, w)`, and the encoder's `skip` of its
# own level, `(N, C/2, H, W)`. It
# 1. upsamples `x` with `up` (a 2x2 transposed convolution, stride 2: `(N, C/2, 2h, 2w)`),
# 2. makes it exactly `H x W`: when `H` is odd, `2h` is one more than `H` (pooling rounded up), so
#    crop it, centred; in general pad it by `dh = H - 2h` rows and `dw = W - 2w` columns
#    (`F.pad(y, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])` pads, and crops when negative),
# 3. concatenates `[skip, upsampled]` along the channel axis (skip first): `(N, C, H, W)`,
# 4. applies `conv` (a double conv).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "unet-up-step"}
import torch.nn.functional as F

def up_step(x, skip, up, conv):
    """x (N, C, h, w), skip (N, C/2, H, W), up: ConvTranspose2d(C, C/2, 2, stride=2),
    conv: double conv (C -> C/2). Returns conv([skip, up(x) cropped/padded to H x W])."""
    ### BEGIN SOLUTION
    y = up(x)
    dh, dw = skip.shape[-2] - y.shape[-2], skip.shape[-1] - y.shape[-1]
    y = F.pad(y, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
    return conv(torch.cat([skip, y], dim=1))
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "unet-up-step-test", "points": 2}
checks.up_step(up_step)
### BEGIN HIDDEN TESTS
assert checks.up_step(up_step, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ### The whole network
# `labkit.models.unet.UNet` is built from exactly these blocks (`DoubleConv`, `Up`). Follow one image
# through it: channels double and size halves at each level down, then the reverse. Sizes need not be
# powers of two.

# %%
from labkit.models.unet import UNet, count_parameters
net = UNet(3, K, base_channels=sizes.base, depth=sizes.depth)
for name, f in net.features(torch.zeros(1, 3, sizes.size, sizes.size)).items():
    print(f"{name:>10s}: {tuple(f.shape)}")
print(f"parameters: {count_parameters(net):,}")
print("an odd-sized input:", tuple(net(torch.zeros(1, 3, 33, 47)).shape))


# %% [markdown]
# **Question.** How far can one output pixel "see" at the bottleneck of this net (its receptive
# field, roughly)? Why does segmentation need both this context *and* full resolution?

# %% [markdown]
# ## 3. Loss: cross-entropy and soft Dice
# Cross-entropy, averaged over pixels, is a classification loss per pixel; with 70 % background it is
# dominated by easy background pixels. The **soft Dice loss** measures overlap per class, like IoU,
# but differentiably: with probabilities `p = softmax(logits)` and one-hot targets `t`,
#
#   Dice_c = (2 Σ p_c t_c + ε) / (Σ p_c + Σ t_c + ε),  loss = 1 − mean_c Dice_c,
#
# with the sums over the batch and all pixels. `ε = 1` keeps a class that is absent from a batch at
# Dice ≈ 1 with a finite gradient.
#
# ### Exercise 3.1: the soft Dice loss

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "unet-dice"}
def dice_loss(logits, target, eps=1.0):
    """logits (N, K, H, W) float, target (N, H, W) int64 -> scalar soft Dice loss."""
    ### BEGIN SOLUTION
    p = logits.softmax(dim=1)                                            # (N, K, H, W)
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()  # (N, K, H, W)
    inter = (p * t).sum(dim=(0, 2, 3))                                   # (K,)
    denom = p.sum(dim=(0, 2, 3)) + t.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "unet-dice-test", "points": 2}
checks.dice_loss(dice_loss)
### BEGIN HIDDEN TESTS
assert checks.dice_loss(dice_loss, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# We train with the sum, `labkit.losses.segmentation.dice_ce_loss` (cross-entropy + the same Dice
# loss as yours): cross-entropy gives every pixel a clean gradient, Dice keeps the small classes in
# view.

# %% [markdown]
# ## 4. Training
# The course's training loop (`labkit.train.fit`) with a progress bar; after each epoch it measures
# mean IoU and pixel accuracy on the validation set. The learning rate follows a one-cycle schedule
# (up, then down), which roughly halves the epochs this net needs.

# %%
from labkit.train import fit, supervised
from labkit.losses.segmentation import dice_ce_loss
from labkit.metrics.segmentation import segmentation_metrics
from labkit.models.unet import one_cycle_adam
train_loader = train.loader(sizes.batch_size, seed=0)
val_loader = val.loader(200, shuffle=False)

def train_unet(net):
    opt = one_cycle_adam(net, sizes.lr, sizes.epochs * len(train_loader))
    return fit(net, train_loader, loss_fn=supervised(dice_ce_loss), optimizer=opt, epochs=sizes.epochs,
               val_loader=val_loader, metrics=segmentation_metrics(K, classes), device=cfg.device)


# %%
labkit.seed_everything(0)
net = UNet(3, K, base_channels=sizes.base, depth=sizes.depth)
history = train_unet(net)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
plot_history(history, ["loss"], ax=axes[0], title="training loss (CE + Dice)")
plot_history(history, ["miou", "pixel_acc"], ax=axes[1], title="validation")
plt.show()
print(f"validation mean IoU: {history['miou'][-1]:.3f} (target: >= 0.85 fast, >= 0.95 full)")
assert history["miou"][-1] > 0.8, "training went wrong: look at the curves, rerun from the top"

# %% [markdown]
# **Question.** Pixel accuracy starts high and barely moves; mean IoU climbs much more. Which curve
# would you trust to compare two models, and why?

# %% [markdown]
# ## 5. Predictions
# Rows: the image, the true mask, the prediction (titled with that image's mean IoU), and the image
# with the wrongly labelled pixels in red.

# %%
from labkit.models.unet import predict_dataset
images, masks, preds = predict_dataset(net, val)
show_segmentation(images[:8], masks[:8], preds[:8], classes=classes, n=8);

# %% [markdown]
# Browse the whole validation set with the slider. Where do the errors sit: inside objects, on their
# outlines, where objects overlap?

# %%
from labkit.widgets.unet import prediction_browser, render_prediction
from labkit.widgets import static_grid
view = prediction_browser(images, masks, preds, classes)
view

# %%
# what the slider does, without a browser (this is also how the tests drive it)
before = view.image.value
view.controls["index"].value = 5
assert view.image.value != before, "the image should change when the slider moves"
print("slider OK:", view.n_renders, "renders")

# %% [markdown]
# The four hardest validation images for this model (lowest mean IoU), through the same render
# function as the slider:

# %%
per_image = torch.tensor([mean_iou(p[None], m[None], K) for p, m in zip(preds, masks)])
worst = per_image.argsort()[:4].tolist()
static_grid(render_prediction, [dict(index=i) for i in worst], ncols=2, figsize_per=(6, 2.4),
            fixed=dict(images=images, masks=masks, preds=preds, classes=classes),
            titles=[""] * len(worst))
plt.show()

# %% [markdown]
# ## 6. Ablation: what do the skip connections carry?
# Same network, same data, same budget (epochs, learning rate, seed), but `skip=False`: the decoder
# gets only what came up through the bottleneck, at 1/8 (fast) or 1/16 (full) of the resolution.

# %%
labkit.seed_everything(0)
net_noskip = UNet(3, K, base_channels=sizes.base, depth=sizes.depth, skip=False)
history_noskip = train_unet(net_noskip)
_, _, preds_noskip = predict_dataset(net_noskip, val)

# %%
from labkit.metrics.segmentation import error_by_region
for name, p in [("with skips", preds), ("without skips", preds_noskip)]:
    err = error_by_region(p, masks, K)
    print(f"{name:>14s}: mean IoU {mean_iou(p, masks, K):.3f} | error rate on outlines "
          f"{100 * err['boundary']:4.1f} %, inside regions {100 * err['interior']:4.1f} %")
plot_history({"with skips": history["miou"], "without skips": history_noskip["miou"]},
             title="validation mean IoU, same budget")
plt.show()

# %%
from labkit.viz_seg import show_ablation
show_ablation(images[:6], masks[:6], {"with skips": preds[:6], "without skips": preds_noskip[:6]},
              classes);

# %% [markdown]
# **Question.** Without skips, which kind of error grows most: wrong class inside a region, or
# misplaced outlines? Relate it to the path the information takes. Would a deeper net without skips
# do better or worse?

# %% [markdown]
# ## 7. Inside the network: feature maps at each depth
# For one validation image, the six most varied channels at every level, from the first encoder
# level (`enc0`, full resolution) down to the bottleneck and back up the decoder (`dec0`).

# %%
from labkit.viz_seg import show_feature_maps
with torch.no_grad():
    feats = net.eval().features(val.images[:1].to(cfg.device))
show_segmentation(val.images[:1], val.masks[:1], classes=classes, n=1, scale=1.4)
show_feature_maps(feats, n_channels=6);

# %% [markdown]
# **Question.** Which levels look like edge or colour detectors, and which like coarse "there is a
# cross around here" maps? Where do sharp outlines reappear in the decoder, and which path brings
# them?

# %% [markdown]
# ## 8. Real photos: Oxford-IIIT Pet (full mode, needs a network)
# The same code on photographs: torchvision's Oxford-IIIT Pet with its trimaps (pet / background /
# border), through `labkit.data.segmentation.pet_splits` (same interface as the shapes). The download is
# about 800 MB, so this runs in `full` mode only (e.g. on Colab); in `fast` mode it is skipped.

# %%
from labkit.data.segmentation import segmentation_splits
pet = None
if not cfg.fast:
    try:
        pet = segmentation_splits("pet", size=128)
    except Exception as err:                 # no network, or no files
        print("Oxford-IIIT Pet not available:", err)
print("Pet section:", "runs" if pet else "skipped (fast mode or no data)")

# %%
if pet:
    pet_train, pet_val = pet
    labkit.seed_everything(0)
    pet_net = UNet(3, pet_train.num_classes, base_channels=32, depth=4)
    pet_history = fit(pet_net, pet_train.loader(32, num_workers=2), loss_fn=supervised(dice_ce_loss),
                      optimizer=one_cycle_adam(pet_net, 3e-3, 15 * len(pet_train.loader(32))), epochs=15,
                      val_loader=pet_val.loader(64, shuffle=False, num_workers=2),
                      metrics=segmentation_metrics(pet_train.num_classes, pet_train.classes), device=cfg.device)

# %%
if pet:
    pi, pm, pp = predict_dataset(pet_net, pet_val, n=8)
    print(f"Pet validation mean IoU: {pet_history['miou'][-1]:.3f}")
    show_segmentation(pi, pm, pp, classes=pet_train.classes, n=8);

# %% [markdown]
# ## Summary
# - Segmentation is classification per pixel: logits `(N, K, H, W)`, masks `(N, H, W)`.
# - Pixel accuracy rewards the majority class; (mean) IoU does not. Dice is its differentiable cousin.
# - The UNet: double convs, pooling down for context, transposed convs up for resolution, and skip
#   connections that concatenate the encoder's detail into the decoder. Same padding + crop/pad in
#   the up-step give an output exactly the input's size.
# - Without skips, the same budget gives a lower IoU, and the loss concentrates on outlines.
#
# ## Questions
# 1. Replace the concatenation by addition (`skip + up`): what changes in parameter count, and would
#    you expect a difference in IoU? Try it.
# 2. The Pet trimaps have a *border* class. Why might one ignore it in the loss (`ignore_index`),
#    and how would that change the reported IoU?
# 3. Our UNet sees 32x32 images in fast mode. What limits the size of the objects it can recognise,
#    and what would you change for 512x512 medical images?
# 4. Where did your model fail in the "hardest images" grid? Propose one change to the data or the
#    model that should fix it, and predict the effect on mean IoU.
