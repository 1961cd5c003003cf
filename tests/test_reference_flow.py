"""Notebook 06's shipped flow-matching UNet (benchmarks/reference_flow.py): it loads offline with
its checksum, rebuilds the notebook's full-mode network, never scores its own training images,
and its weights reproduce its shipped guided samples."""

import pytest
import torch

from labkit.data import reference as R


def test_loads_offline_and_rebuilds_the_full_mode_network(no_network):
    net, ref = R.reference_flow()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.meta["bytes"] <= 2_000_000 and ref.meta["notebook"] == "06_taxonomy"
    s, full = ref.meta["sizes"], ref.meta["full_mode_sizes"]
    for k in ("size", "steps", "w"):  # full mode's images and sampler
        assert s[k] == full[k], k
    assert s["base"] <= full["base"] and s["epochs"] <= full["epochs"]
    assert "epochs" in ref.meta["reduced"] and "base" in ref.meta["reduced"]  # said so
    v = net(torch.zeros(3, 1, 28, 28), torch.full((3,), 0.5), torch.tensor([0, 1, 10]))
    assert v.shape == (3, 1, 28, 28) and not net.training
    for k in ("samples_uncond", "samples_guided"):
        x = ref.arrays[k]
        assert x.shape == (200, 1, 28, 28) and x.dtype == torch.float32
        assert 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.equal(ref.arrays["samples_guided_labels"], torch.arange(200) % 10)


def test_held_out_is_exactly_the_part_it_never_saw(offline_test_split):
    test = offline_test_split
    _, ref = R.reference_flow()
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    seen = ref.is_training_image(test.images[perm])
    assert seen[:8000].all() and not seen[8000:].any()
    with pytest.raises(R.SelfEvaluationError):
        ref.check_held_out(test.images[perm[:50]])


def test_weights_reproduce_the_shipped_guided_samples():
    from labkit.taxonomy import sample_flow

    net, ref = R.reference_flow()
    s = ref.meta["sizes"]
    x0 = torch.randn(200, 1, 28, 28, generator=torch.Generator().manual_seed(6))[:3]
    y = ref.arrays["samples_guided_labels"][:3]
    x = sample_flow(net, 3, s["steps"], y=y, w=s["w"], x0=x0)
    tol = ref.results["max_pixel_diff_fp16_weights"] + 2 / 255 + 0.02
    assert (x - ref.arrays["samples_guided"][:3]).abs().max() <= tol
