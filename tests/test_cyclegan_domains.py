"""MNIST-derived domains (labkit.data.domains): transforms by hand, unpaired sampling, bad input."""

import pytest
import torch

from labkit.data.domains import PAIRS, dilate, erode, make_domains, shear, stroke_width, to_domain


def _bar(width, h=28, w=28):
    """A vertical bar `width` pixels wide in the middle of an (1, 1, h, w) image."""
    x = torch.zeros(1, 1, h, w)
    c = w // 2 - width // 2
    x[..., 4:24, c : c + width] = 1.0
    return x


def test_dilate_erode_by_hand():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0
    d = dilate(x, 3)
    assert d.sum() == 9 and d[0, 0, 1:4, 1:4].eq(1).all()  # one pixel grows to 3x3
    assert erode(d, 3).equal(x)  # opening of a 3x3 square is itself
    assert erode(x, 3).sum() == 0  # a lone pixel disappears
    assert dilate(x, 2).sum() == 4 and erode(dilate(x, 2), 2).equal(x)  # even kernel keeps the size
    assert dilate(x, 2).shape == x.shape


def test_stroke_width_tells_thin_from_thick():
    widths = [stroke_width(_bar(w)).item() for w in (2, 4, 6)]
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] == pytest.approx(6, rel=0.25)
    assert stroke_width(dilate(_bar(2), 3)).item() > stroke_width(_bar(2)).item() + 1.5


def test_shear_leans_right_at_the_top():
    x = _bar(2)
    y = shear(x, 0.35)
    cols = torch.arange(28, dtype=torch.float)

    def centre(row):
        r = y[0, 0, row]
        return float((r * cols).sum() / r.sum())

    assert centre(5) > 14 + 1.5 and centre(22) < 14 - 1.5  # top right, bottom left
    assert shear(x, 0.0).sub(x).abs().max() < 1e-5
    assert y.sum().item() == pytest.approx(x.sum().item(), rel=0.05)  # ink preserved


def test_domains_differ_visibly_on_mnist_like_strokes():
    x = torch.zeros(4, 1, 28, 28)
    for i, w in enumerate((2, 3, 3, 4)):
        x[i] = _bar(w)[0]
    thin, thick = to_domain(x, "thin"), to_domain(x, "thick")
    assert (stroke_width(thick) > stroke_width(thin) + 1.5).all()
    assert thin.shape == thick.shape == x.shape and thin.min() >= 0 and thick.max() <= 1


def test_unpaired_sources_are_disjoint_and_paired_are_equal():
    x = torch.rand(101, 1, 28, 28)
    y = torch.arange(101) % 10
    dom = make_domains(x, y, "thin-thick", seed=3)
    assert len(dom.a) == len(dom.b) == 50 and not dom.paired
    assert set(dom.source_a.tolist()).isdisjoint(dom.source_b.tolist())
    torch.testing.assert_close(dom.a, to_domain(x[dom.source_a], "thin"))
    torch.testing.assert_close(dom.b, to_domain(x[dom.source_b], "thick"))
    assert dom.labels_a.equal(y[dom.source_a])
    p = make_domains(x, y, "upright-italic", paired=True)
    assert p.paired and p.source_a.equal(p.source_b) and len(p.a) == 101
    torch.testing.assert_close(p.b, to_domain(p.a, "italic"))
    assert make_domains(x, y, seed=3).source_a.equal(dom.source_a)  # seeded
    assert set(PAIRS) == {"thin-thick", "upright-italic"}


def test_loader_unpaired_never_pairs_paired_keeps_pairs():
    x = torch.arange(40, dtype=torch.float).view(40, 1, 1, 1).expand(40, 1, 28, 28) / 40
    y = torch.zeros(40, dtype=torch.long)
    p = make_domains(x, y, "upright-italic", paired=True)
    for xa, xb in p.loader(8, seed=0):
        torch.testing.assert_close(to_domain(xa, "italic"), xb)  # the pair is kept
    dom = make_domains(x, y, "upright-italic")
    ld = dom.loader(5, seed=0, steps=9)  # 20 per domain: 4 per epoch
    batches = list(ld)
    assert len(ld) == 9 and len(batches) == 9 and all(a.shape[0] == 5 for a, _ in batches)
    seen_a = torch.cat([a[:, 0, 0, 0] for a, _ in batches[:4]])
    assert torch.equal(
        seen_a.sort().values, dom.a[:, 0, 0, 0].sort().values
    )  # one epoch = every A once
    first = [a for a, _ in dom.loader(5, seed=0)]
    assert len(first) == 4 and torch.equal(first[0], batches[0][0])


@pytest.mark.parametrize(
    "bad, msg",
    [
        (torch.rand(3, 28, 28), r"\(N, 1, H, W\)"),
        (torch.randint(0, 255, (3, 1, 28, 28)), "float"),
        (torch.rand(3, 1, 28, 28) * 2 - 1, r"\[0, 1\]"),
        (torch.full((3, 1, 28, 28), float("nan")), "NaN"),
    ],
)
def test_bad_images(bad, msg):
    with pytest.raises(ValueError, match=msg):
        to_domain(bad, "thick")


def test_bad_arguments():
    x, y = torch.rand(10, 1, 28, 28), torch.zeros(10, dtype=torch.long)
    with pytest.raises(ValueError, match="unknown domain"):
        to_domain(x, "bold")
    with pytest.raises(ValueError, match="thin-thick"):
        make_domains(x, y, "a-b")
    with pytest.raises(ValueError, match="labels"):
        make_domains(x, y[:5])
    with pytest.raises(ValueError, match="batch_size"):
        make_domains(x, y).loader(6)
