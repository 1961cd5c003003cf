"""Notebook 00b's three slider views (add mass, outlier, threshold), built as the notebook builds
them on small inputs, and driven headlessly: moving a slider changes the picture."""

import numpy as np
import pytest
from viewcheck import moves

from labkit.density import models as D
from labkit.density import views as W
from labkit.views import SliderView, float_slider


@pytest.fixture(scope="module")
def models():
    X, y = D.make_toy(300, seed=0)
    X_test, y_test = D.make_toy(200, seed=1)
    clf, dens = D.fit_classifier(X, y), D.fit_density(X, n_components=6)
    grid = D.Grid(-8, 8, -8, 8, nx=41, ny=41)
    return dict(
        X=X,
        X_test=X_test,
        y_test=y_test,
        clf=clf,
        dens=dens,
        grid=grid,
        proba=D.class_probs_on_grid(clf, grid),
        px=D.density_on_grid(dens, grid),
        threshold=np.quantile(dens.score_samples(X), 0.01),
        X_far=D.far_points(50, seed=2),
    )


def test_add_mass_view(models):
    m = models
    view = SliderView(
        W.render_add_mass,
        fixed=dict(p=m["px"], grid=m["grid"], regions=m["proba"].argmax(1)),
        title="add mass at a point",
        weight=float_slider("added mass", 0.0, 0.9, 0.3, step=0.05),
        x=float_slider("point x", -7.0, 7.0, 4.0, step=0.5),
        y=float_slider("point y", -7.0, 7.0, 4.0, step=0.5),
    )
    assert moves(view, "weight", 0.6)
    assert moves(view, "x", -4.0)


def test_outlier_view(models):
    m = models
    view = SliderView(
        W.render_outlier,
        title="an outlier: classifier vs density",
        fixed=dict(
            clf=m["clf"],
            density=m["dens"],
            grid=m["grid"],
            threshold=m["threshold"],
            X_train=m["X"],
            proba=m["proba"],
            px=m["px"],
        ),
        x=float_slider("point x", -7.5, 7.5, 6.0, step=0.25),
        y=float_slider("point y", -7.5, 7.5, -5.0, step=0.25),
    )
    assert moves(view, "x", -6.0)
    assert moves(view, "y", 0.0)


def test_threshold_view(models):
    m = models
    view = SliderView(
        W.render_threshold,
        title="abstaining classifier: density threshold",
        fixed=dict(
            clf=m["clf"],
            density=m["dens"],
            grid=m["grid"],
            X_train=m["X"],
            X_test=m["X_test"],
            y_test=m["y_test"],
            X_far=m["X_far"],
        ),
        reject=float_slider("rejected fraction of training points", 0.0, 0.3, 0.01, step=0.01),
    )
    assert moves(view, "reject", 0.1)
    assert view.n_renders == 2
