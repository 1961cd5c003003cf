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
# In `fast` mode (CPU) everything runs in a few minutes on small 32x32 images; `full` mode (GPU)
# uses 64x64 images and a wider, deeper net, and, where the data can be downloaded, trains on real
# photos (Oxford-IIIT Pet) too.

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
from labkit.segmentation import iou_per_class, mean_iou, pixel_accuracy, show_segmentation
use_style()
sizes = labkit.by_mode(
    fast=dict(size=32, n_train=1500, n_val=300, base=16, depth=3, epochs=5, batch_size=32, lr=5e-3),
    full=dict(size=64, n_train=8000, n_val=1000, base=32, depth=4, epochs=30, batch_size=64, lr=3e-3))
train, val = shapes_splits(sizes.n_train, sizes.n_val, size=sizes.size, seed=0)
classes, K = train.classes, train.num_classes
print(train, val, sep="\n")
show_segmentation(val.images[:8], val.masks[:8], classes=classes, n=8);

# %% [markdown]
# **Reading.** Top row: the images; bottom row: their masks, one colour per class. Objects overlap
# and are cut by the image border, and the clutter lines share hues with the objects: only the shape
# tells a box from a stripe. How many pixels does each class cover?

# %%
for name, f in zip(classes, train.class_frequencies()):
    print(f"{name:>10s}: {100 * f:5.1f} % of pixels")

# %% [markdown]
# Most pixels are background. A "model" that answers *background* everywhere: what is its **pixel
# accuracy** (the share of pixels labelled right)? Guess, then run the next cell. It also prints the
# **intersection over union** of each class, IoU_c = |pred = c and true = c| / |pred = c or true = c|
# (1 = the predicted and true regions of class c coincide, 0 = they do not overlap), and the **mean
# IoU** (mIoU), its average over the classes: a missed small class costs as much as a missed large one.

# %%
all_background = torch.zeros_like(val.masks)
acc0, miou0 = pixel_accuracy(all_background, val.masks, K), mean_iou(all_background, val.masks, K)
print(f"pixel accuracy {acc0:.3f}")
print(f"mean IoU       {miou0:.3f}")
print("IoU per class ", [round(v, 2) for v in iou_per_class(all_background, val.masks, K).tolist()])

# %% tags=["claim"]
assert acc0 > 0.75, f"answering background everywhere should already score a high pixel accuracy, got {acc0:.3f}"
assert miou0 < 0.25, f"...but a low mean IoU (only the background class scores), got {miou0:.3f}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "unet-q-pixel-accuracy", "points": 1}
# **Question.** The all-background "model" above knows nothing about the objects. Why is its pixel
# accuracy nevertheless high, and why does mean IoU expose it?
#
# ### BEGIN SOLUTION
# Pixel accuracy counts pixels, and about four in five pixels are background, so predicting the
# majority class everywhere is right on all of them: the score equals the background share and says
# nothing about the four object classes. Mean IoU scores each class separately and averages: the
# object classes get IoU 0 (no overlap), the background gets about 0.8, so the mean is about 0.8 / 5.
# A model must find every class to score well.
# ### END SOLUTION

# %% [markdown]
# ## 2. The building blocks
# The UNet is an encoder (contracting path: convolutions and 2x2 max pooling, so each level sees
# twice the context at half the resolution) and a decoder (expanding path: upsampling back to the
# input size). Its trademark: **skip connections** that hand each decoder level the encoder's
# full-resolution features of the same level.
#
# ### Exercise 2.1: the double convolution
# Every level applies the same block: (3x3 convolution with `padding=1` → `BatchNorm2d` → `ReLU`),
# twice. Batch normalisation rescales each channel to zero mean and unit variance over the batch, then
# applies a learned scale and shift; it keeps training stable. `padding=1` ("same" padding) keeps
# height and width, unlike the original paper's unpadded convolutions, so the output mask lines up
# with the input pixel for pixel.

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
# 1. upsamples `x` with `up` (a 2x2 transposed convolution, stride 2: a learned upsampling in which
#    every input pixel paints a 2x2 patch of the output, `(N, C/2, 2h, 2w)`),
# 2. makes it exactly `H x W`: when `H` is odd, `2h` is one more than `H` (pooling rounded up), so
#    crop it, centred; in general it must gain `dh = H - 2h` rows and `dw = W - 2w` columns (a
#    negative number: lose them), `dh // 2` at the top and the rest at the bottom, likewise `dw // 2`
#    on the left (so for `dh = -1` the top row goes). `torch.nn.functional.pad` adds zeros around the
#    last dimensions and crops when given negative amounts: its documentation gives the order of
#    its arguments,
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
# `labkit.segmentation.UNet` is built from exactly these blocks (`DoubleConv`, `Up`). Follow one image
# through it: channels double and size halves at each level down, then the reverse. Sizes need not be
# powers of two.

# %%
from labkit.segmentation import UNet, count_parameters
net = UNet(3, K, base_channels=sizes.base, depth=sizes.depth)
for name, f in net.features(torch.zeros(1, 3, sizes.size, sizes.size)).items():
    print(f"{name:>10s}: {tuple(f.shape)}")
print(f"parameters: {count_parameters(net):,}")
odd_out = net(torch.zeros(1, 3, 33, 47))
print("an odd-sized input (1, 3, 33, 47) ->", tuple(odd_out.shape))

# %% tags=["claim"]
assert tuple(odd_out.shape) == (1, K, 33, 47), f"the output should match the input's size, got {tuple(odd_out.shape)}"


# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "unet-q-receptive-field", "points": 1}
# **Question.** How far can one pixel of the bottleneck "see" in the input image (its *receptive
# field*: the input pixels that can change its value), roughly? Why does segmentation need both this
# context *and* full resolution?
#
# ### BEGIN SOLUTION
# Each 3x3 convolution widens the field by 2 pixels at its level's scale, and each pooling doubles
# that scale. Depth 3 (fast): 5 px after the first level, then 14, 32, and 68 px after the
# bottleneck's convolutions; depth 4 (full): 140 px. Both exceed the input (32 or 64 px): the
# bottleneck sees the whole image. Context tells *what* a region is (a cross's arm looks like a box's
# edge up close; only the whole shape decides), full resolution tells *exactly where* its border runs;
# the encoder provides the first, the skips bring back the second.
# ### END SOLUTION

# %% [markdown]
# ## 3. Loss: cross-entropy and soft Dice
# Cross-entropy, averaged over pixels, is a classification loss per pixel; with about four pixels in
# five background (section 1) it is dominated by easy background pixels. The **soft Dice loss**
# measures overlap per class, like IoU, but differentiably: with probabilities `p = softmax(logits)` over the classes and one-hot targets
# `t` (`t_c = 1` at the pixels whose true class is `c`, else 0),
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
# We train with the sum, `labkit.segmentation.dice_ce_loss` (cross-entropy + the same Dice
# loss as yours): cross-entropy gives every pixel a clean gradient, Dice keeps the small classes in
# view.

# %% [markdown]
# ## 4. Training
# The course's training loop (`labkit.train.fit`) with a progress bar; after each epoch it measures
# mean IoU and pixel accuracy on the validation set. The learning rate follows a *one-cycle*
# schedule: it rises over the first part of training, then decays to almost zero, so the net takes
# large steps early and settles at the end.

# %%
from labkit.train import fit, supervised
from labkit.segmentation import dice_ce_loss, one_cycle_adam, segmentation_metrics
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
# **Reading.** The loss falls steeply over the first epochs, then flattens. On the right, pixel
# accuracy starts high (above the all-background score already) and gains little; mean IoU starts
# lower and climbs much more.

# %% tags=["claim"]
gain_miou = history["miou"][-1] - history["miou"][0]
gain_acc = history["pixel_acc"][-1] - history["pixel_acc"][0]
assert history["pixel_acc"][0] > acc0 and gain_miou > gain_acc, \
    f"pixel accuracy should start high and gain less than mIoU: +{gain_acc:.3f} vs +{gain_miou:.3f}"
target = 0.95 if cfg.mode == "full" else 0.85
assert history["miou"][-1] >= target, f"validation mIoU {history['miou'][-1]:.3f} below the {cfg.mode} target {target}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "unet-q-curves", "points": 1}
# **Question.** Pixel accuracy starts high and gains little; mean IoU climbs much more. Which curve
# would you trust to compare two models, and why?
#
# ### BEGIN SOLUTION
# Mean IoU. Pixel accuracy is dominated by the background, which is easy and covers most pixels, so
# two models that differ a lot on the objects differ little in pixel accuracy (its range here is
# squeezed between the all-background score and 1). Mean IoU weighs every class equally and
# penalises both missed and spurious pixels of a class, so it separates models by what matters: the
# objects.
# ### END SOLUTION

# %% [markdown]
# ## 5. Predictions
# Rows: the image, the true mask, the prediction (titled with that image's mean IoU), and the image
# with the wrongly labelled pixels in red.

# %%
from labkit.segmentation import error_by_region, predict_dataset, prediction_browser, render_prediction
images, masks, preds = predict_dataset(net, val)
show_segmentation(images[:8], masks[:8], preds[:8], classes=classes, n=8)
plt.show()
err = error_by_region(preds, masks, K)
print(f"error rate on outlines {100 * err['boundary']:.1f} %, inside regions {100 * err['interior']:.1f} %")

# %% [markdown]
# **Reading.** Most red pixels sit on the outlines of the objects and where objects touch; the
# insides of the objects are almost always right. The printed error rates say the same for the
# whole validation set: outline pixels (those next to a change of class in the true mask) are wrong
# far more often than pixels inside a region.

# %% tags=["claim"]
on_outlines = err["boundary"] * err["boundary_share"]                  # wrong outline pixels / all pixels
inside = err["interior"] * (1 - err["boundary_share"])
assert on_outlines > inside, f"most wrong pixels should sit on outlines: {on_outlines:.4f} vs {inside:.4f}"
assert err["boundary"] > 3 * err["interior"], f"outline pixels should be wrong far more often: {err}"

# %% [markdown]
# Browse the whole validation set with the slider. Where do the errors sit: inside objects, on their
# outlines, where objects overlap?

# %%
from labkit.views import static_grid
view = prediction_browser(images, masks, preds, classes)
view

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
# **Reading.** Compare each image's mIoU with its share of wrong pixels (the titles): per image, a
# few wrong pixels on one small object, or part of it given a neighbouring class, cost that class a
# large part of its IoU.

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
ablation = {}
for name, p in [("with skips", preds), ("without skips", preds_noskip)]:
    ablation[name] = dict(miou=mean_iou(p, masks, K), **error_by_region(p, masks, K))
    r = ablation[name]
    print(f"{name:>14s}: mean IoU {r['miou']:.3f} | error rate on outlines "
          f"{100 * r['boundary']:4.1f} %, inside regions {100 * r['interior']:4.1f} %")
plot_history({"with skips": history["miou"], "without skips": history_noskip["miou"]},
             title="validation mean IoU, same budget")
plt.show()

# %% [markdown]
# **Reading.** The curve without skips ends well below the one with skips, and the printed error
# rates grow on the outlines far more than inside the regions.

# %% tags=["claim"]
a, b = ablation["with skips"], ablation["without skips"]
assert a["miou"] > b["miou"] + 0.02, f"skips should raise mIoU: {a['miou']:.3f} vs {b['miou']:.3f}"
assert b["boundary"] - a["boundary"] > b["interior"] - a["interior"], \
    f"without skips the outline error should grow most: {a} vs {b}"

# %%
from labkit.segmentation import show_ablation
show_ablation(images[:6], masks[:6], {"with skips": preds[:6], "without skips": preds_noskip[:6]},
              classes)
plt.show()

# %% [markdown]
# **Reading.** Without skips the objects come out as rounded blobs: corners, the arms of the crosses
# and thin parts are lost, and small objects may shrink, vanish or take the class of a similar shape.

# %% [markdown]
# **Your runs next to longer ones.** labkit ships both UNets (with and without skips) trained by
# `benchmarks/reference.py` on more shapes for more epochs, at this notebook's fast image size and
# width (the cell prints its sizes next to full mode's). This is a CPU-affordable stand-in for full
# mode (larger images, a wider and deeper net), recorded as such in the reference's manifest. It
# never saw the validation images (they come from another seed, and `ref.check_held_out` would
# refuse them otherwise); in fast mode it is scored below on the same images as your runs.

# %%
if cfg.fast:
    from labkit.data.reference import reference_unet
    ref_nets = {name: reference_unet(skip=skip) for name, skip in [("with skips", True), ("without skips", False)]}
    ref = ref_nets["with skips"][1]
    ref.check_held_out(images)
    ref_sizes, full_sizes = ref.meta["sizes"], ref.meta["full_mode_sizes"]
    print(*(f"{who}: {d['n_train']} shapes of {d['size']}x{d['size']}, base {d['base']}, depth {d['depth']}, "
            f"{d['epochs']} epochs" for who, d in [("reference", ref_sizes), ("full mode", full_sizes)]), sep="\n")
    ref_preds = {name: predict_dataset(m, val)[2] for name, (m, _) in ref_nets.items()}
    for name in ablation:
        print(f"UNet {name:>13s}, validation mean IoU: your model: {ablation[name]['miou']:.3f}; "
              f"full-size reference: {mean_iou(ref_preds[name], masks, K):.3f}")
    show_ablation(images[:6], masks[:6], ref_preds, classes)
    plt.suptitle(ref.label(), y=1.02)
    plt.show()

# %% [markdown]
# **Reading.** Trained longer, both networks improve, and without skips it gains the most; but its
# outlines stay rounder than with skips: more training does not bring back what the bottleneck
# lost.

# %% tags=["claim"]
if cfg.fast:
    ref_miou = {name: mean_iou(p, masks, K) for name, p in ref_preds.items()}
    assert ref_miou["with skips"] > ref_miou["without skips"], f"the longer runs should keep the skip gap: {ref_miou}"
    assert all(ref_miou[n] > ablation[n]["miou"] for n in ablation), f"longer training should raise both: {ref_miou} vs {ablation}"
    gain = {n: ref_miou[n] - ablation[n]["miou"] for n in ablation}
    assert gain["without skips"] > gain["with skips"], f"without skips should gain the most: {gain}"
    edge = {n: error_by_region(p, masks, K)["boundary"] for n, p in ref_preds.items()}
    assert edge["without skips"] > edge["with skips"], f"longer runs without skips should still miss more outline pixels: {edge}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "unet-q-skips", "points": 1}
# **Question.** Without skips, which kind of error grows most: wrong class inside a region, or
# misplaced outlines? Relate it to the path the information takes. Would a deeper net without skips
# do better or worse?
#
# ### BEGIN SOLUTION
# Misplaced outlines. Without skips, everything the decoder knows passed through the bottleneck, a
# few pixels on a side: it still knows roughly *what* is where (so the class inside large regions is
# mostly right), but the exact position of each edge was lost in the pooling and has to be guessed
# when upsampling, which rounds corners and blurs borders. The skips hand the decoder the encoder's
# full-resolution features, where the edges are. A deeper net without skips would do worse on
# outlines: the bottleneck gets coarser still (one more halving), so even more detail is lost, even
# though the context grows.
# ### END SOLUTION

# %% [markdown]
# ## 7. Inside the network: feature maps at each depth
# For one validation image, the six most varied channels at every level, from the first encoder
# level (`enc0`, full resolution) down to the bottleneck and back up the decoder (`dec0`).

# %%
from labkit.segmentation import show_feature_maps
with torch.no_grad():
    feats = net.eval().features(val.images[:1].to(cfg.device))
show_segmentation(val.images[:1], val.masks[:1], classes=classes, n=1, scale=1.4)
show_feature_maps(feats, n_channels=6)
plt.show()

# %% [markdown]
# **Reading.** Each row is one level, each small image one channel (bright = strong response). The
# first encoder level responds to edges, lines and colours all over the image; deeper levels respond
# to coarse blobs around the object; the decoder's last levels are full-resolution maps of the
# object's region with sharp borders again.

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
# - Without skips, the same budget gives a lower IoU, and the error grows most on the outlines.
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
