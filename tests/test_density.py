"""labkit.density.models and labkit.density.views (notebook 00b)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from labkit.density import models as D


@pytest.fixture(scope="module")
def toy():
    X, y = D.make_toy(600, seed=0)
    Xt, yt = D.make_toy(600, seed=1)
    grid = D.Grid(-8, 8, -8, 8, 101, 101)
    clf = D.fit_classifier(X, y)
    dens = D.fit_density(X)
    return dict(
        X=X,
        y=y,
        Xt=Xt,
        yt=yt,
        grid=grid,
        clf=clf,
        dens=dens,
        class_dens=D.fit_class_densities(X, y),
    )


def test_make_toy_shapes_and_seed():
    X, y = D.make_toy(301, seed=3)
    assert X.shape == (301, 2) and y.shape == (301,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100, 100]
    X2, y2 = D.make_toy(301, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, D.make_toy(301, seed=4)[0])
    with pytest.raises(ValueError, match="at least 3"):
        D.make_toy(2)


def test_far_points_are_far():
    Xf = D.far_points(500, seed=0, radius=(5.5, 7.5))
    r = np.linalg.norm(Xf, axis=1)
    assert Xf.shape == (500, 2) and r.min() >= 5.5 - 1e-9 and r.max() <= 7.5 + 1e-9
    X, _ = D.make_toy(600)
    assert np.linalg.norm(X, axis=1).max() < 5.5 - 0.5
    with pytest.raises(ValueError, match="radius"):
        D.far_points(3, radius=(3, 2))


def test_grid_integrates_a_gaussian_to_one():
    g = D.Grid(-6, 6, -5, 7, 150, 120)
    assert g.points.shape == (150 * 120, 2)
    p = multivariate_normal([0.5, 1.0], [[1.0, 0.3], [0.3, 0.8]]).pdf(g.points)
    assert g.integrate(p) == pytest.approx(1.0, abs=1e-4)
    assert g.integrate(np.ones(len(g.points))) == pytest.approx(12 * 12)
    assert g.image(p).shape == (120, 150)
    # the image's row j, column i is the cell centred at (xs[i], ys[j])
    assert g.image(g.points[:, 0])[3, 7] == pytest.approx(g.xs[7])
    assert g.image(g.points[:, 1])[3, 7] == pytest.approx(g.ys[3])
    assert np.allclose(g.integrate(np.c_[p, 2 * p]), [1.0, 2.0], atol=2e-4)
    with pytest.raises(ValueError, match="one per grid cell"):
        g.integrate(np.ones(10))
    with pytest.raises(ValueError, match="bad grid"):
        D.Grid(1, 0, 0, 1)


def test_fitted_densities_integrate_to_one(toy):
    g = toy["grid"]
    assert g.integrate(D.density_on_grid(toy["dens"], g)) == pytest.approx(1.0, abs=5e-3)
    for m in toy["class_dens"]:
        assert g.integrate(D.density_on_grid(m, g)) == pytest.approx(1.0, abs=5e-3)
    kde = D.fit_density(toy["X"], kind="kde", bandwidth=0.4)
    assert g.integrate(D.density_on_grid(kde, g)) == pytest.approx(1.0, abs=5e-3)
    proba = D.class_probs_on_grid(toy["clf"], g)
    assert proba.shape == (len(g.points), 3) and np.allclose(proba.sum(1), 1)


def test_fit_errors(toy):
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        D.fit_density(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        D.fit_density(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="kind"):
        D.fit_density(toy["X"], kind="flow")
    with pytest.raises(ValueError, match="kind"):
        D.fit_classifier(toy["X"], toy["y"], kind="svm")
    with pytest.raises(ValueError, match="0..K-1"):
        D.fit_class_densities(toy["X"], toy["y"] + 1)


def test_classifier_is_accurate_and_mlp_works(toy):
    assert toy["clf"].score(toy["Xt"], toy["yt"]) > 0.9
    mlp = D.fit_classifier(toy["X"], toy["y"], kind="mlp")
    assert mlp.score(toy["Xt"], toy["yt"]) > 0.9


def test_class_priors():
    assert np.allclose(D.class_priors(np.array([0, 0, 1, 2])), [0.5, 0.25, 0.25])
    assert np.allclose(D.class_priors(np.array([0, 0]), n_classes=3), [1, 0, 0])
    with pytest.raises(ValueError):
        D.class_priors(np.array([0.5, 1.0]))


def test_normalise_and_add_mass():
    g = D.Grid(-4, 4, -4, 4, 80, 80)
    v = np.exp(-((g.points - 1) ** 2).sum(1))
    p = D.normalise_on_grid(v, g)
    assert g.integrate(p) == pytest.approx(1.0)
    assert np.allclose(p / v, p[0] / v[0])  # proportions kept
    with pytest.raises(ValueError, match="non-negative"):
        D.normalise_on_grid(-v, g)
    with pytest.raises(ValueError, match="integrate to 0"):
        D.normalise_on_grid(np.zeros_like(v), g)
    for w in (0.0, 0.3, 0.9):
        q = D.add_mass(p, g, (-2.5, -2.5), w, width=0.3)
        assert g.integrate(q) == pytest.approx(1.0)
        far = ((g.points - [-2.5, -2.5]) ** 2).sum(1) > 3.0**2  # where the bump is ~0
        assert np.allclose(q[far], (1 - w) * p[far], atol=1e-12)
    with pytest.raises(ValueError, match="weight"):
        D.add_mass(p, g, (0, 0), 1.5)
    regions = (g.points[:, 0] > 0).astype(int)
    assert D.region_masses(p, g, regions, 2).sum() == pytest.approx(1.0)


def test_bayes_from_fitted_parts_is_close_to_direct_fit(toy):
    g = toy["grid"]
    proba = D.class_probs_on_grid(toy["clf"], g)
    px = D.density_on_grid(toy["dens"], g)
    pb = proba * px[:, None] / D.class_priors(toy["y"])[None, :]  # Bayes: P(y|x) P(x) / P(y)
    pxy = np.stack([D.density_on_grid(m, g) for m in toy["class_dens"]], 1)
    assert np.allclose(g.integrate(pb), 1, atol=0.05)
    tv = [D.tv_distance(pb[:, k], pxy[:, k], g) for k in range(3)]
    assert max(tv) < 0.25, tv
    # and clearly closer to its own class than to another one
    assert D.tv_distance(pb[:, 0], pxy[:, 1], g) > 0.9


def test_tv_distance():
    g = D.Grid(-1, 1, -1, 1, 20, 20)
    a = D.normalise_on_grid((g.points[:, 0] < 0).astype(float), g)
    b = D.normalise_on_grid((g.points[:, 0] > 0).astype(float), g)
    assert D.tv_distance(a, a, g) == pytest.approx(0)
    assert D.tv_distance(a, b, g) == pytest.approx(1)


def test_sample_from_grid_matches_moments():
    g = D.Grid(-6, 6, -6, 6, 120, 120)
    mean, cov = np.array([1.0, -0.5]), np.array([[1.0, 0.5], [0.5, 0.7]])
    p = multivariate_normal(mean, cov).pdf(g.points)
    s = D.sample_from_grid(p, g, 20000, seed=0)
    assert s.shape == (20000, 2)
    assert np.allclose(s.mean(0), mean, atol=0.03)
    assert np.allclose(np.cov(s.T), cov, atol=0.05)
    assert np.array_equal(s, D.sample_from_grid(p, g, 20000, seed=0))
    with pytest.raises(ValueError):
        D.sample_from_grid(-p, g, 5)


def test_abstain_predict_and_report():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    pred = D.abstain_predict(proba, np.array([0.0, -5.0, -1.0, 2.0]), threshold=-2.0)
    assert pred.tolist() == [0, D.ABSTAIN, 0, 1]
    r = D.abstention_report(pred, np.array([0, 1, 1, 1]))
    assert r == {
        "n": 4,
        "abstained": 0.25,
        "accuracy": 0.5,
        "accuracy_accepted": pytest.approx(2 / 3),
    }
    assert D.abstention_report(pred)["abstained"] == 0.25
    assert np.isnan(D.abstention_report(np.array([-1, -1]), np.array([0, 1]))["accuracy_accepted"])
    with pytest.raises(ValueError, match="log_px"):
        D.abstain_predict(proba, np.zeros(3), 0.0)


@pytest.mark.parametrize(
    "make",
    [
        D.stroke_images,
        D.letter_images,
        D.noise_images,
        lambda n, seed: D.noise_images(n, seed, kind="blobs"),
    ],
)
def test_outlier_images(make):
    a = make(12, seed=0)
    assert a.shape == (12, 1, 28, 28) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1 and a.reshape(12, -1).max(1).min() > 0.5
    assert np.array_equal(a, make(12, seed=0))
    assert not np.array_equal(a, make(12, seed=1))


def test_strokes_and_letters_fill_a_20px_box_like_mnist():
    for a in (D.stroke_images(20, seed=0), D.letter_images(20, seed=0)):
        ink = a[:, 0] > 0.2
        rows, cols = ink.any(2), ink.any(1)
        extent = np.maximum(rows.sum(1), cols.sum(1))
        assert 16 <= extent.min() and extent.max() <= 23
        assert not ink[:, :2].any() and not ink[:, -2:].any()  # a margin as in MNIST


def test_noise_images_bad_kind():
    with pytest.raises(ValueError, match="kind"):
        D.noise_images(2, kind="pink")


def test_pca_density_matches_probabilistic_pca():
    """n_mixture=1 is probabilistic PCA: compare with scikit-learn's PCA.score_samples."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    W = rng.normal(size=(784, 5))
    X = (rng.normal(size=(400, 5)) @ W.T * 0.05 + 0.02 * rng.normal(size=(400, 784)) + 0.3).astype(
        np.float32
    )
    ours = D.PCADensity(n_components=5).fit(X.reshape(-1, 1, 28, 28))
    ref = PCA(5).fit(X.astype(np.float64))
    a, b = ours.score_samples(X.reshape(-1, 1, 28, 28)), ref.score_samples(X.astype(np.float64))
    assert np.allclose(a, b, rtol=2e-3), np.abs(a - b).max()


def test_mnist_density_scores_noise_below_digits():
    from labkit.data import mnist_splits

    train, test = mnist_splits(600, 200)
    dens = D.PCADensity(n_components=20).fit(train.images)
    ll_digits = dens.score_samples(test.images)
    ll_noise = dens.score_samples(D.noise_images(100, seed=0))
    assert (
        D.auroc(np.r_[ll_digits, ll_noise], np.r_[np.ones(len(ll_digits)), np.zeros(len(ll_noise))])
        > 0.99
    )
    clf = D.fit_image_classifier(train.images, train.labels, max_iter=15)
    assert clf.score(D.flatten_images(test.images), test.labels.numpy()) > 0.7


def test_auroc():
    assert D.auroc([2, 3, 4, 0, 1], [1, 1, 1, 0, 0]) == 1.0  # label 1 = the class scored higher
    assert D.auroc([0, 1, 2, 3, 4], [1, 1, 0, 0, 0]) == 0.0
    assert D.auroc([1, 1, 1, 1], [1, 1, 0, 0]) == 0.5
    with pytest.raises(ValueError):
        D.auroc([1, 2], [1, 1])


# ---------------------------------------------------------------- widgets ----------------------


def _png(fig):
    from labkit.views import to_png

    return to_png(fig)


def test_render_add_mass(toy):
    from labkit.density import views as W

    g = toy["grid"]
    px = D.density_on_grid(toy["dens"], g)
    regions = D.class_probs_on_grid(toy["clf"], g).argmax(1)
    kw = dict(p=px, grid=g, regions=regions)
    a, b = _png(W.render_add_mass(0.0, **kw)), _png(W.render_add_mass(0.6, 4.0, -4.0, **kw))
    assert a[:4] == b"\x89PNG" and a != b


def test_render_outlier_and_threshold(toy):
    from labkit.density import views as W

    thr = np.quantile(toy["dens"].score_samples(toy["X"]), 0.01)
    kw = dict(
        clf=toy["clf"], density=toy["dens"], grid=toy["grid"], threshold=thr, X_train=toy["X"]
    )
    assert _png(W.render_outlier(6.0, -5.0, **kw)) != _png(W.render_outlier(-1.5, -1.0, **kw))
    kw = dict(
        clf=toy["clf"],
        density=toy["dens"],
        grid=toy["grid"],
        X_train=toy["X"],
        X_test=toy["Xt"],
        y_test=toy["yt"],
        X_far=D.far_points(50),
    )
    assert _png(W.render_threshold(0.0, **kw)) != _png(W.render_threshold(0.2, **kw))


def test_slider_views_update_headless(toy):
    from labkit.density import views as W
    from labkit.views import SliderView, float_slider

    thr = np.quantile(toy["dens"].score_samples(toy["X"]), 0.01)
    view = SliderView(
        W.render_outlier,
        title="outlier",
        fixed=dict(
            clf=toy["clf"], density=toy["dens"], grid=toy["grid"], threshold=thr, X_train=toy["X"]
        ),
        x=float_slider("point x", -7.5, 7.5, 6.0),
        y=float_slider("point y", -7.5, 7.5, -5.0),
    )
    before = view.image.value
    view.controls["x"].value = 0.0
    assert view.image.value != before and view.n_renders == 2 and view.last_error is None


def test_static_figures(toy):
    import matplotlib.pyplot as plt

    from labkit.density import views as W

    g = toy["grid"]
    proba, px = D.class_probs_on_grid(toy["clf"], g), D.density_on_grid(toy["dens"], g)
    pxy = np.stack([D.density_on_grid(m, g) for m in toy["class_dens"]], 1)
    figs = [
        W.plot_supervised_vs_unsupervised(toy["X"], toy["y"]),
        W.plot_three_models(g, proba, px, pxy, toy["X"], toy["y"]),
        W.plot_bayes(
            g, pxy, pxy, [D.sample_from_grid(pxy[:, k], g, 10) for k in range(3)], [0, 0, 0]
        ),
        W.plot_image_sets({"noise": D.noise_images(4), "strokes": D.stroke_images(4)}),
        W.plot_outlier_scores(
            {
                "a": dict(confidence=np.random.rand(20), log_px=np.random.randn(20)),
                "b": dict(confidence=np.random.rand(20), log_px=np.random.randn(20)),
            },
            "a",
        ),
        W.plot_taxonomy(),
    ]
    for f in figs:
        assert _png(f)[:4] == b"\x89PNG"
    assert W.region_image(proba, g).shape == (g.ny, g.nx, 4)
    plt.close("all")
