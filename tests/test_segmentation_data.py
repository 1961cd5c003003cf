"""labkit.data.segmentation: the synthetic shapes set and the Oxford-IIIT Pet wrapper (on a tiny
stand-in laid out the way torchvision stores the real files)."""

import numpy as np
import pytest
import torch
from PIL import Image

from labkit.data.segmentation import (
    PET_CLASSES,
    SHAPE_CLASSES,
    PetSegmentation,
    make_shapes,
    pet_splits,
    segmentation_splits,
    shapes_splits,
    trimap_to_classes,
)


def test_shapes_types_ranges_and_seed():
    x, m = make_shapes(40, size=24, seed=3)
    assert x.shape == (40, 3, 24, 24) and x.dtype == np.float32
    assert m.shape == (40, 24, 24) and m.dtype == np.int64
    assert x.min() >= 0 and x.max() <= 1
    assert set(np.unique(m)) == set(range(len(SHAPE_CLASSES)))  # every class appears in 40 images
    x2, m2 = make_shapes(40, size=24, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(m, m2)  # same seed, same data
    x3, _ = make_shapes(40, size=24, seed=4)
    assert not np.array_equal(x, x3)


def test_shapes_not_trivial():
    """Objects are a minority, sizes vary, several objects overlap, and colour alone is
    ambiguous."""
    x, m = make_shapes(200, size=32, seed=0)
    fg = (m > 0).mean()
    assert 0.08 < fg < 0.45
    areas = [(mi == c).sum() for mi in m for c in range(1, 5) if (mi == c).any()]
    assert np.percentile(areas, 90) > 3 * np.percentile(areas, 10)  # varied sizes
    n_classes_per_image = np.array([len(np.unique(mi)) - 1 for mi in m])
    assert (n_classes_per_image >= 2).mean() > 0.3
    # a per-pixel colour classifier (nearest class-mean colour) is far from perfect
    pix = x.transpose(0, 2, 3, 1).reshape(-1, 3)
    lab = m.reshape(-1)
    means = np.stack([pix[lab == c].mean(0) for c in range(5)])
    pred = ((pix[:, None] - means[None]) ** 2).sum(-1).argmin(1)
    ious = [((pred == c) & (lab == c)).sum() / ((pred == c) | (lab == c)).sum() for c in range(5)]
    assert np.mean(ious) < 0.6


def test_shapes_splits_and_dataset_interface():
    train, val = shapes_splits(20, 10, size=16, seed=1)
    assert len(train) == 20 and len(val) == 10
    assert train.classes == SHAPE_CLASSES and train.num_classes == 5 and train.in_channels == 3
    assert not torch.equal(train.images[:10], val.images)
    img, mask = train[3]
    assert img.shape == (3, 16, 16) and img.dtype == torch.float32 and mask.dtype == torch.int64
    xb, yb = next(iter(train.loader(8)))
    assert xb.shape == (8, 3, 16, 16) and yb.shape == (8, 16, 16)
    assert train.batch([0, 2])[0].shape == (2, 3, 16, 16)
    assert abs(float(train.class_frequencies().sum()) - 1) < 1e-6
    assert "train" in repr(train)
    sub = segmentation_splits("shapes", n_train=4, n_val=2, size=8)
    assert len(sub[0]) == 4


def test_shapes_class_subset_and_bad_args():
    x, m = make_shapes(10, size=16, classes=("background", "disc", "cross"))
    assert m.max() <= 2
    with pytest.raises(ValueError, match="classes must start with 'background'"):
        make_shapes(2, classes=("disc", "box"))
    with pytest.raises(ValueError, match="size >= 8"):
        make_shapes(2, size=4)
    with pytest.raises(ValueError, match="unknown segmentation set"):
        segmentation_splits("cityscapes")


# ---------------------------------------------------------------- Oxford-IIIT Pet stand-in


def _make_pet_standin(root, n_trainval=3, n_test=2, size=(20, 15)):
    """root/oxford-iiit-pet/{images/*.jpg, annotations/trimaps/*.png,
    annotations/{trainval,test}.txt} with the line format of the real list files:
    ``<image id> <class id> <species> <breed id>``."""
    base = root / "oxford-iiit-pet"
    (base / "images").mkdir(parents=True)
    (base / "annotations" / "trimaps").mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = {"trainval": [], "test": []}
    for split, n in (("trainval", n_trainval), ("test", n_test)):
        for i in range(n):
            name, cls, species = (
                (f"Abyssinian_{i + 1}", 1, 1) if i % 2 == 0 else (f"beagle_{i + 1}", 2, 2)
            )
            name = f"{name}{split[0]}"
            w, h = size
            Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
                base / "images" / f"{name}.jpg"
            )
            tri = np.full((h, w), 2, np.uint8)  # background
            tri[3 : h - 3, 4 : w - 4] = 3  # border ring
            tri[5 : h - 5, 6 : w - 6] = 1  # pet
            Image.fromarray(tri).save(base / "annotations" / "trimaps" / f"{name}.png")
            names[split].append(f"{name} {cls} {species} {cls}")
    for split, lines in names.items():
        (base / "annotations" / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def test_trimap_mapping():
    t = np.array([[1, 2], [3, 2]], np.uint8)
    assert torch.equal(trimap_to_classes(t), torch.tensor([[1, 0], [2, 0]]))
    with pytest.raises(ValueError, match="trimap values must be 1, 2 or 3"):
        trimap_to_classes(np.array([[0, 4]]))


def test_pet_standin_loads_through_torchvision(tmp_path):
    root = _make_pet_standin(tmp_path)
    train, val = pet_splits(root, size=16, download=False)
    assert len(train) == 3 and len(val) == 2
    assert train.classes == PET_CLASSES and train.num_classes == 3 and train.in_channels == 3
    img, mask = train[0]
    assert (
        img.shape == (3, 16, 16)
        and img.dtype == torch.float32
        and 0 <= img.min()
        and img.max() <= 1
    )
    assert mask.shape == (16, 16) and mask.dtype == torch.int64
    assert set(mask.unique().tolist()) == {0, 1, 2}
    assert mask[0, 0] == 0 and mask[8, 8] == 1  # corner background, centre pet
    xb, yb = next(iter(train.loader(2, shuffle=False)))
    assert xb.shape == (2, 3, 16, 16) and yb.shape == (2, 16, 16)
    with pytest.raises(IndexError):
        train[3]
    lim = PetSegmentation(root, "train", size=8, limit=2)
    assert len(lim) == 2 and "Pet" in repr(lim)


def test_pet_missing_files_message(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="download=True"):
        PetSegmentation(tmp_path, "train", download=False)
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="synthetic set"):
        segmentation_splits("pet", root=tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'val'"):
        PetSegmentation(tmp_path, "test")


def test_pet_standin_trains_one_step(tmp_path):
    from labkit.segmentation.losses import dice_ce_loss
    from labkit.segmentation.unet import UNet

    train, _ = pet_splits(_make_pet_standin(tmp_path), size=16, download=False)
    net = UNet(train.in_channels, train.num_classes, base_channels=4, depth=2)
    x, y = next(iter(train.loader(3)))
    loss = dice_ce_loss(net(x), y)
    loss.backward()
    assert torch.isfinite(loss)
