"""Notebook 02's shipped full-mode segmentation (benchmarks/reference_meanshift_image.py): it
loads offline with its checksum, and is exactly what ``segment`` gives at full size."""

import numpy as np

from labkit.data import reference as R


def test_loads_offline_with_its_checksum(no_network):
    segments, ref = R.reference_segmented()
    assert ref.meta["sha256"] == R.sha256(R.REFERENCE_DIR / ref.meta["file"])
    assert ref.command == "benchmarks/reference.py --only meanshift_image"
    assert ref.train_fingerprints is None  # no MNIST images involved
    H, W, _ = ref.results["image_shape"]
    for bw, (labels, colours) in segments.items():
        assert labels.shape == (H, W) and colours.shape[1] == 3
        assert labels.max() == len(colours) - 1 == ref.results["n_segments"][str(bw)] - 1


def test_segmentation_is_segment_at_full_size():
    from labkit.cluster import load_image, segment

    segments, ref = R.reference_segmented()
    image = load_image("china.jpg", stride=ref.meta["sizes"]["image_stride"])
    labels, colours = segment(image, 0.3, ref.meta["sizes"]["spatial"])
    ref_labels, ref_colours = segments[0.3]
    assert np.array_equal(labels, ref_labels) and np.allclose(colours, ref_colours)
