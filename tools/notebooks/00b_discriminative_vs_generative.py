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
# # 00b · Discriminative vs generative models, densities, Bayes' rule
#
# Before the labs: what kinds of models are there, and what is each one for? On data small enough to
# plot you will see
#
# * **supervised** learning (pairs x, y: labels needed) vs **unsupervised** learning (just x: clustering,
#   dimensionality reduction, feature learning, density estimation);
# * a **discriminative** model P(y|x), a **generative** model P(x) and a **conditional generative**
#   model P(x|y), fitted to the same points;
# * that a density is **normalised**: different x compete for density, so raising it in one place lowers
#   it everywhere else;
# * why a classifier cannot reject a nonsense input (its *labels* compete for mass, the *inputs* do not),
#   and how a density model lets it **abstain**;
# * **Bayes' rule** building P(x|y) from P(y|x), P(x) and P(y), and sampling from it;
# * the same outlier idea on MNIST, and the **taxonomy** of generative models that places every later lab.
#
# Three short exercises (normalise a density, abstain, Bayes' rule) are checked as you go, and a few
# questions ask for a written answer.

# %%
import labkit
cfg = labkit.setup(seed=0)

# %%
import numpy as np
from labkit import by_mode
from labkit.viz import use_style
use_style()
S = by_mode(fast=dict(n_toy=600, grid_n=121, n_train=2000, n_test=500, n_out=200, mlp_iter=20, pca_dim=30),
            full=dict(n_toy=1500, grid_n=201, n_train=20000, n_test=2000, n_out=1000, mlp_iter=40, pca_dim=50))
S

# %% [markdown]
# ## 1. Supervised vs unsupervised
# In **supervised** learning every example is a pair: data x and a label y that somebody had to provide
# (labelling is the expensive part). In **unsupervised** learning there is only x, and the model finds
# structure by itself: groups (clustering, labs 01-02), a low-dimensional description (dimensionality
# reduction, lab 04's autoencoder), useful features, or the density P(x) itself.
#
# Below: 2-D points from three classes, once with their labels and once without.

# %%
from labkit.density import make_toy, plot_supervised_vs_unsupervised
X, y = make_toy(S.n_toy, seed=0)             # training points (N, 2) and labels 0, 1, 2
X_test, y_test = make_toy(S.n_toy, seed=1)   # held-out points from the same distribution
plot_supervised_vs_unsupervised(X, y);

# %% [markdown]
# **Reading.** Left, the colours are the labels; right, the same points without them. The top group
# stands apart, while the two lower groups touch in the middle: that is where a method without labels
# has to guess.
#
# **Question.** Without the colours, how many groups would you say there are? Which of the three classes
# would a clustering method most likely split or merge, and why?

# %% [markdown]
# ## 2. Three kinds of model on the same points
# * **Discriminative**, P(y|x): given x, how likely is each label (here logistic regression: a linear
#   score per class, turned into probabilities by the softmax: exponentiate the scores, divide by
#   their sum).
# * **Generative**, P(x): how likely is this x at all (here a Gaussian mixture with 6 components: a
#   weighted sum of 6 Gaussian bumps, fitted to the points).
# * **Conditional generative**, P(x|y): what does an x of class y look like (one mixture per class).
#
# We evaluate all of them on a grid of cell centres covering the plane.

# %%
from labkit.density import (Grid, class_priors, class_probs_on_grid, density_on_grid,
                            fit_class_densities, fit_classifier, fit_density, plot_three_models)
clf = fit_classifier(X, y)                          # P(y|x)
dens = fit_density(X, n_components=6)               # P(x)
class_dens = fit_class_densities(X, y)              # P(x|y), one model per class
prior = class_priors(y)                             # P(y)
grid = Grid(-8, 8, -8, 8, nx=S.grid_n, ny=S.grid_n)
proba = class_probs_on_grid(clf, grid)              # (M, 3)
px = density_on_grid(dens, grid)                    # (M,)
pxy = np.stack([density_on_grid(m, grid) for m in class_dens], axis=1)   # (M, 3)
print(f"grid: {grid.nx} x {grid.ny} cells of area {grid.cell_area:.4f}; test accuracy of P(y|x):",
      f"{clf.score(X_test, y_test):.1%}")
plot_three_models(grid, proba, px, pxy, X, y);

# %% [markdown]
# **Reading.** Left: the classifier's colours fill the **whole plane**, even the empty corners where
# the contours of P(x) say there is nothing: it always answers with a label, and far from the data it
# is *more* sure, not less. Middle: P(x) is high where the data are and falls off quickly. Right: one
# density per class.

# %% tags=["claim"]
empty = px < 1e-6 * px.max()                            # grid cells where P(x) says there is nothing
conf_empty = proba[empty].max(1)
print(f"{empty.mean():.0%} of the grid is empty; median classifier confidence there: {np.median(conf_empty):.3f}")
assert empty.mean() > 0.5 and np.median(conf_empty) > 0.99, "the classifier should be confident where there is no data"
assert np.median(conf_empty) > np.median(proba[~empty].max(1)), "the classifier should be surer far from the data than near it"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "density-q-three-models", "points": 1}
# **Question.** Which of these three models could you use to (a) assign labels, (b) detect outliers,
# (c) draw new points of class 2? Which needs labels to be trained?
#
# ### BEGIN SOLUTION
# (a) P(y|x) assigns labels directly; P(x|y) with P(y) can too, through Bayes' rule
# (argmax over y of P(x|y) P(y)). (b) Only a model of the inputs detects outliers: P(x) (a low
# density means an unusual x), or the class densities summed with their priors. P(y|x) cannot: it
# is normalised over the labels and is confident even far from the data. (c) P(x|y=2): sample from
# the class-2 density. P(y|x) and P(x) alone cannot (P(x) samples points of any class). Labels are
# needed to train P(y|x) and P(x|y); P(x) is trained on the points alone.
# ### END SOLUTION

# %% [markdown]
# ## 3. Densities are normalised
# A density integrates to 1: $\int p(x)\,dx = 1$. On our grid the integral is a sum over cells,
# $\sum_i p(x_i)\,\Delta A$ with $\Delta A$ the cell area (the midpoint rule).

# %%
print("integral of P(x) over the grid:", round(grid.integrate(px), 4))
print("integral of P(x|y) per class:  ", np.round(grid.integrate(pxy), 4))
print("sum over y of P(y|x), first 3 cells:", proba[:3].sum(1))

# %% tags=["claim"]
assert abs(grid.integrate(px) - 1) < 1e-2 and np.allclose(grid.integrate(pxy), 1, atol=1e-2), "the densities should integrate to 1 on the grid"
assert np.allclose(proba.sum(1), 1), "P(y|x) should sum to 1 over the labels in every cell"


# %% [markdown]
# ### Exercise 1: normalise a density on a grid
# `values` are non-negative numbers on the `M` grid cells (an unnormalised density) and `cell_area` is
# $\Delta A$. Return the density that integrates to 1 (a new array, same shape).

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "density-normalise"}
def normalise(values, cell_area):
    ### BEGIN SOLUTION
    return values / (values.sum() * cell_area)
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "density-normalise-test", "points": 1}
from labkit.checks import density as checks
checks.normalise(normalise)
### BEGIN HIDDEN TESTS
assert checks.normalise(normalise, seed=1)
### END HIDDEN TESTS

# %%
bump = np.exp(-0.5 * ((grid.points - [4.0, 4.0]) ** 2).sum(1))   # a Gaussian shape, unnormalised
print("before:", round(grid.integrate(bump), 4), "| after:", round(grid.integrate(normalise(bump, grid.cell_area)), 4))

# %% [markdown]
# Because the total is fixed, **different x compete for density**. Move the sliders: a fraction
# `added mass` of the probability is put near the point (x, y) (the result is still a density), and the
# bars show the mass left in each class's region shrinking by the same factor.

# %%
from labkit.density import render_add_mass
from labkit.views import SliderView, float_slider, static_grid
regions = proba.argmax(1)               # the classifier's region of every grid cell
mass_view = SliderView(render_add_mass, fixed=dict(p=px, grid=grid, regions=regions),
                       title="add mass at a point",
                       weight=float_slider("added mass", 0.0, 0.9, 0.3, step=0.05),
                       x=float_slider("point x", -7.0, 7.0, 4.0, step=0.5),
                       y=float_slider("point y", -7.0, 7.0, 4.0, step=0.5))
mass_view

# %%
from labkit.density import add_mass, region_masses
# the static version of the view: no mass added, then 60% of it near (4, 4)
static_grid(render_add_mass, [dict(weight=w) for w in (0.0, 0.6)], ncols=1,
            fixed=dict(p=px, grid=grid, regions=regions, x=4.0, y=4.0), figsize_per=(10, 4.2));
away = np.linalg.norm(grid.points - [4.0, 4.0], axis=1) > 2.0       # cells away from the new bump
left = (region_masses(add_mass(px, grid, (4.0, 4.0), 0.6) * away, grid, regions, 3)
        / region_masses(px * away, grid, regions, 3))
print("fraction of its mass each class region keeps after adding 60% near (4, 4):", left.round(3))

# %% [markdown]
# **Reading.** In the lower row, the bright new bump took 60% of the probability, and every class
# region kept the same 40% of its mass: nothing was taken from one place more than another, yet
# every other x lost density.

# %% tags=["claim"]
assert np.allclose(left, 0.4, atol=0.01), f"every class region should keep 40% of its mass, got {left}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "density-q-competition", "points": 1}
# **Question.** A classifier's P(y|x) is also normalised, but over the *labels*, for each x separately.
# What competes with what in each case? What does that mean for an x far from all the data?
#
# ### BEGIN SOLUTION
# For a density P(x), the *inputs* compete: all x share one unit of mass, so making one x more likely
# makes others less likely. For P(y|x), the *labels* of one x compete: the K probabilities at that x
# sum to 1, and different x do not constrain each other at all. For an x far from the data, P(x) can
# be tiny (that x loses to the x where the data are), but P(y|x) must still put total mass 1 on the
# labels, so some label gets a high probability: the classifier has no way to say "none of these".
# ### END SOLUTION

# %% [markdown]
# ## 4. A classifier cannot say "I don't know"
# For every x, $\sum_y P(y|x) = 1$: the labels compete, so one of them wins even for an x that looks
# like nothing the model has seen. P(x) has no such constraint per point: an unreasonable x simply
# gets a tiny density. Move the point (red star) far from the data.
#
# The dashed line is a threshold on log p(x): 1% of the training points fall below it.

# %%
from labkit.density import render_outlier
threshold = np.quantile(dens.score_samples(X), 0.01)
outlier_view = SliderView(render_outlier, title="an outlier: classifier vs density",
                          fixed=dict(clf=clf, density=dens, grid=grid, threshold=threshold,
                                     X_train=X, proba=proba, px=px),
                          x=float_slider("point x", -7.5, 7.5, 6.0, step=0.25),
                          y=float_slider("point y", -7.5, 7.5, -5.0, step=0.25))
outlier_view

# %%
far = np.array([[6.0, -5.0], [-6.0, -5.0], [0.0, 7.5]])
print("P(y|x) of 3 far points:\n", clf.predict_proba(far).round(4))
print("log p(x) of the same points:", dens.score_samples(far).round(1), "| threshold:", round(threshold, 2))

# %% [markdown]
# **Reading.** Each far point gets one label with probability 1.0 (to four decimals), while its
# log p(x) is tens of nats (natural-log units) below the threshold: the classifier is certain exactly
# where the density says the model has never seen anything.

# %% tags=["claim"]
assert (clf.predict_proba(far).max(1) > 0.99).all(), "the classifier should be near-certain on far points"
assert (dens.score_samples(far) < threshold - 10).all(), "far points should be far below the density threshold"


# %% [markdown]
# ### Exercise 2: assign labels while rejecting outliers
# Combine both models: return the most probable class (argmax of `proba` over classes) where
# `log_px >= threshold`, and `-1` (abstain) where `log_px < threshold`. Integer labels, shape `(N,)`.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "density-abstain"}
def abstain(proba, log_px, threshold):
    ### BEGIN SOLUTION
    return np.where(log_px < threshold, -1, proba.argmax(axis=1))
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "density-abstain-test", "points": 1}
checks.abstain(abstain)
### BEGIN HIDDEN TESTS
assert checks.abstain(abstain, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Now test it on held-out points from the same distribution and on points far from every class
# (`far_points`: a ring around the data). "plain" is the classifier alone (it never abstains).

# %%
from labkit.density import abstention_report, far_points
X_far = far_points(300, seed=2)
reports = {}
for name, thr in [("plain classifier", -np.inf), ("abstaining (1% threshold)", threshold)]:
    te = abstention_report(abstain(clf.predict_proba(X_test), dens.score_samples(X_test), thr), y_test)
    fa = abstention_report(abstain(clf.predict_proba(X_far), dens.score_samples(X_far), thr))
    reports[name] = te, fa
    print(f"{name:27s} test: accuracy on accepted {te['accuracy_accepted']:.1%}, abstained "
          f"{te['abstained']:.1%} | far-away: abstained {fa['abstained']:.1%} (a label on the rest)")

# %% [markdown]
# **Reading.** The plain classifier labels every far-away point. The abstaining one rejects (nearly)
# all of them, at the price of a few percent of the held-out test points: a little more than the 1%
# of *training* points the threshold was set on, since the density was fitted to those and scores
# them slightly higher than new points.

# %% tags=["claim"]
(te0, fa0), (te1, fa1) = reports.values()
assert fa0["abstained"] == 0 and te0["abstained"] == 0, "the plain classifier never abstains"
assert fa1["abstained"] > 0.95, f"the density should reject the far points: {fa1}"
assert te1["abstained"] < 0.05, f"the density should accept most held-out points: {te1}"

# %% [markdown]
# The threshold trades the two errors: reject more held-out points, or accept more far-away ones.
# Move it (as the fraction of training points below it) and watch the grey *abstain* region.

# %%
from labkit.density import render_threshold
thr_view = SliderView(render_threshold, title="abstaining classifier: density threshold",
                      fixed=dict(clf=clf, density=dens, grid=grid, X_train=X, X_test=X_test,
                                 y_test=y_test, X_far=X_far),
                      reject=float_slider("rejected fraction of training points", 0.0, 0.3, 0.01, step=0.01))
thr_view

# %% [markdown]
# The same trade-off as numbers, for a few thresholds:

# %%
log_px_test, log_px_far = dens.score_samples(X_test), dens.score_samples(X_far)
trade = []
for reject in (0.0, 0.01, 0.05, 0.1, 0.2):
    thr = np.quantile(dens.score_samples(X), reject) if reject else -np.inf
    te = abstention_report(abstain(clf.predict_proba(X_test), log_px_test, thr), y_test)
    fa = abstention_report(abstain(clf.predict_proba(X_far), log_px_far, thr))
    trade.append((reject, te["abstained"], te["accuracy_accepted"], fa["abstained"]))
    print(f"reject {reject:4.0%} of training points | test: abstained {te['abstained']:5.1%}, "
          f"accuracy on accepted {te['accuracy_accepted']:.1%} | far-away: abstained {fa['abstained']:.1%}")

# %% [markdown]
# **Reading.** Raising the threshold rejects more held-out points, roughly the fraction of training
# points it was set to reject, while the far-away points are all rejected from the lowest threshold
# on. Accuracy on the accepted test points hardly changes at 1%; watch what it does when a large
# share of the test points is rejected.

# %% tags=["claim"]
t_abst, acc = [r[1] for r in trade], [r[2] for r in trade]
assert all(b >= a for a, b in zip(t_abst, t_abst[1:])) and t_abst[-1] > 0.1, f"more rejection with a higher threshold: {trade}"
assert min(r[3] for r in trade[1:]) > 0.95, f"far points should be rejected at every threshold: {trade}"
assert abs(acc[1] - acc[0]) < 0.01, f"at 1% the accuracy on the accepted points should hardly change: {acc}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "density-q-threshold", "points": 1}
# **Question.** In the table, how does the accuracy on the accepted test points change as the threshold
# rises, at 1% and at 20%? Which points does the density reject first, and are they the ones the
# classifier gets wrong?
#
# ### BEGIN SOLUTION
# At a low threshold the density rejects the points with the lowest P(x): those in the outer tails of
# the groups, on the far side from the other classes. The classifier rarely errs there, so the
# accuracy on the rest changes only by chance, a little up or down. Its mistakes sit where two classes
# meet, near the decision boundary; here the two lower groups touch in a shallow valley of P(x), so
# a high threshold (20%) starts cutting into that valley and removes errors along with many correct
# points: the accuracy rises, at a high price in rejected good points. A density threshold targets
# *unfamiliar* points; to reject *ambiguous* ones, threshold the classifier's confidence instead.
# ### END SOLUTION

# %% [markdown]
# ## 5. Bayes' rule: a conditional generative model from the other two
# The joint probability of x and y can be split in two ways, label first or input first:
# $$P(x, y) = P(y\mid x)\,P(x) = P(x\mid y)\,P(y).$$
# This is **Bayes' rule**. We have three of its four parts: the classifier's P(y|x), the density P(x)
# and the label frequencies P(y) (the **prior**); the fourth, P(x|y), follows.
#
# ### Exercise 3: apply Bayes' rule on the grid
# `p_y_given_x` is `(M, K)`, `p_x` is `(M,)`, `p_y` is `(K,)`. Return P(x|y) as `(M, K)`: column k is
# the density of x for class k. Mind the shapes: each of the three inputs must line up with the
# right axis of the result.

# %% nbgrader={"schema_version": 3, "grade": false, "solution": true, "locked": false, "grade_id": "density-bayes"}
def bayes(p_y_given_x, p_x, p_y):
    ### BEGIN SOLUTION
    return p_y_given_x * p_x[:, None] / p_y[None, :]
    ### END SOLUTION


# %% nbgrader={"schema_version": 3, "grade": true, "solution": false, "locked": true, "grade_id": "density-bayes-test", "points": 1}
checks.bayes(bayes)
### BEGIN HIDDEN TESTS
assert checks.bayes(bayes, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Now compare P(x|y) built by Bayes' rule with the class densities fitted directly (section 2), and
# draw samples from the Bayes version (white dots, over the fitted density). The *total variation distance*
# $\frac12\int|p-q|\,dx$ is 0 for identical densities and 1 for densities that do not overlap.

# %%
from labkit.density import plot_bayes, sample_from_grid, tv_distance
p_bayes = bayes(proba, px, prior)
tv = [tv_distance(p_bayes[:, k], pxy[:, k], grid) for k in range(3)]
samples = [sample_from_grid(p_bayes[:, k], grid, 300, seed=k) for k in range(3)]
print("integral of the Bayes P(x|y) per class:", np.round(grid.integrate(p_bayes), 3))
print("TV distance to the fitted P(x|y):      ", np.round(tv, 3))
plot_bayes(grid, p_bayes, pxy, samples, tv);

# %% [markdown]
# **Reading.** The two versions agree on where each class lives (small TV distances), but not exactly:
# they come from *different* models (a linear classifier + a 6-component mixture vs three 3-component
# mixtures), and nothing forces them to be consistent. The Bayes version even integrates to a little
# more or less than 1, because $\int P(y|x)P(x)\,dx$ is the *model's* P(y), not the label frequency we
# divided by. Look for a straight edge in the upper row where the linear classifier's boundary cuts
# through the overlap of two classes; the fitted densities in the lower row fade out smoothly there.

# %% tags=["claim"]
integrals = grid.integrate(p_bayes)
assert all(0 < d < 0.25 for d in tv), f"Bayes and fitted P(x|y) should agree, but not exactly: TV {tv}"
assert np.allclose(integrals, 1, atol=0.05) and not np.allclose(integrals, 1, atol=1e-4), f"integrals should be near, not at, 1: {integrals}"

# %% [markdown]
# **Question.** If you only needed to assign labels, which would you train: P(y|x), or P(x|y) and
# P(y)? And if you needed to generate points of class 1?

# %% [markdown]
# ## 6. The same on MNIST: confidence is not plausibility
# Two models are trained on the same digits:
# * a digit classifier: a small MLP (multi-layer perceptron, a fully connected network) on the pixels;
# * a simple density model of digit images, **probabilistic PCA** (`PCADensity`): principal
#   component analysis keeps the few directions in which digits vary most, a Gaussian models the
#   digits along those, and an *isotropic* Gaussian (the same small variance in every direction)
#   models what is left. It gives log p(x) in nats over the 784 pixels.
#
# Then we show them images that are *not* digits: pixel noise, blurred blobs, random pen strokes and
# rendered letters.

# %%
from labkit.data import mnist_splits
from labkit.density import PCADensity, fit_image_classifier, flatten_images
train, test = mnist_splits(S.n_train, S.n_test)
clf_img = fit_image_classifier(train.images, train.labels, max_iter=S.mlp_iter)
dens_img = PCADensity(n_components=S.pca_dim).fit(train.images)
print(f"digit classifier test accuracy: {clf_img.score(flatten_images(test.images), test.labels.numpy()):.1%}")

# %%
from labkit.density import letter_images, noise_images, plot_image_sets, stroke_images
sets = {"MNIST test digits": test.images.numpy(), "uniform noise": noise_images(S.n_out, seed=1),
        "blurred blobs": noise_images(S.n_out, seed=2, kind="blobs"),
        "random strokes": stroke_images(S.n_out, seed=3), "letters": letter_images(S.n_out, seed=4)}
plot_image_sets(sets);

# %% [markdown]
# **Reading.** One row per set. The noise and the blobs look nothing like pen strokes; the random
# strokes and the letters are white pen marks on black, like the digits, but none of them is a digit.

# %%
from labkit.density import plot_outlier_scores
scores = {name: dict(confidence=clf_img.predict_proba(flatten_images(imgs)).max(1),
                     log_px=dens_img.score_samples(imgs)) for name, imgs in sets.items()}
plot_outlier_scores(scores, "MNIST test digits");

# %% [markdown]
# **Reading.** Left: the digits' confidence piles up near 1, but so does a good part of every outlier
# set. Right: uniform noise sits far to the left of every digit; the blobs, strokes and letters overlap
# the digits' range.

# %% [markdown]
# How well does each score tell digits (higher score) from each kind of outlier? The **AUROC** is the
# probability that a random digit scores higher than a random outlier: 1 is perfect, 0.5 is chance.

# %%
from labkit.density import auroc
def digit_auroc(s_digits, s_outliers):     # label 1 = digit: P(a random digit scores higher)
    return auroc(np.r_[s_digits, s_outliers], np.r_[np.ones(len(s_digits)), np.zeros(len(s_outliers))])


digits = scores["MNIST test digits"]
median_digit = np.median(digits["log_px"])
print(f"{'outliers':16s} {'AUROC confidence':>17s} {'AUROC log p(x)':>15s} {'log p(x) > median digit':>24s}")
for name, s in list(scores.items())[1:]:
    print(f"{name:16s} {digit_auroc(digits['confidence'], s['confidence']):17.3f} "
          f"{digit_auroc(digits['log_px'], s['log_px']):15.3f} {np.mean(s['log_px'] > median_digit):24.1%}")
gap = digits["log_px"].min() - scores["uniform noise"]["log_px"].max()
print(f"gap between the least likely digit and the most likely noise image: {gap:,.0f} nats")

# %% [markdown]
# **Reading.** The classifier is confident on many non-digits: its softmax must spread 100% over the
# ten digits, so confidence separates digits from outliers only moderately (AUROC well below 1 for
# every set). The density puts every uniform-noise image more than a thousand nats below every digit
# (the gap printed last), and separates the blobs almost as well. On MNIST, strokes and letters are
# harder: they overlap the digits, and some score *higher* than the typical digit (last column). (On
# the 8x8 digits fallback, whose upscaled digits are all blur, every set is easy to tell apart.) Simple,
# smooth images are easy to model, so they can be likely without being digits; the same surprise was
# reported for deep generative models by Nalisnick et al. (2019), "Do deep generative models know
# what they don't know?". A density is a good outlier score only as far as the model is good.

# %% tags=["claim"]
auc = {n: (digit_auroc(digits["confidence"], s["confidence"]), digit_auroc(digits["log_px"], s["log_px"]))
       for n, s in list(scores.items())[1:]}
above = {n: np.mean(s["log_px"] > median_digit) for n, s in list(scores.items())[1:]}
assert max(c for c, _ in auc.values()) < 0.9, f"confidence should separate only moderately: {auc}"
assert gap > 1000, f"uniform noise should be >1000 nats below every digit: gap {gap:.0f}"
assert min(auc["uniform noise"][1], auc["blurred blobs"][1]) > 0.95, f"noise and blobs: log p(x) AUROC near 1: {auc}"
if test.source == "mnist":   # the prose says "on MNIST"
    assert max(auc["random strokes"][1], auc["letters"][1]) < min(auc["uniform noise"][1], auc["blurred blobs"][1]), f"strokes and letters are harder: {auc}"
    assert above["random strokes"] > 0 and above["letters"] > 0, f"some strokes and letters should beat the median digit: {above}"

# %% [markdown]
# Fast mode fits both models small: few training digits, few epochs (passes over the data) of the
# classifier, few principal components (the sizes cell at the top). In fast mode, below: the
# *full-size reference*, made by `benchmarks/reference.py --only density_mnist` and shipped with
# labkit: the same two models at full mode's sizes, trained on 8,000 digits (full mode's 20,000 need
# MNIST's training split, which is not on disk offline). It was trained on part of MNIST's test
# split, so both are scored only on the test digits it never saw (`ref.held_out`), against the same
# outlier images.

# %%
def auroc_table(clf, dens, sets):
    """{outlier set: (AUROC of the confidence, AUROC of log p(x))}, digits vs each set."""
    sc = {n: (clf.predict_proba(flatten_images(x)).max(1), dens.score_samples(x)) for n, x in sets.items()}
    (c0, l0), rest = sc.pop("MNIST test digits"), sc
    return {n: (digit_auroc(c0, c), digit_auroc(l0, lp)) for n, (c, lp) in rest.items()}


show_ref = cfg.fast and test.source == "mnist"     # the reference was trained on MNIST
if show_ref:
    from labkit.data.reference import reference_density_mnist
    (clf_ref, dens_ref), ref = reference_density_mnist()
    held = ref.held_out(test)                                   # the test digits it never saw
    X_held, y_held = flatten_images(held.images), held.labels.numpy()
    r = ref.meta["sizes"]
    print(f"full-size reference: {r['n_train']:,} digits, {r['mlp_iter']} epochs, {r['pca_dim']} components "
          f"| yours: {S.n_train:,}, {S.mlp_iter}, {S.pca_dim}")
    acc_mine, acc_ref = clf_img.score(X_held, y_held), clf_ref.score(X_held, y_held)
    print(f"accuracy on {len(held)} held-out digits | your model: {acc_mine:.1%}; full-size reference: {acc_ref:.1%}")
    same = dict(sets, **{"MNIST test digits": held.images.numpy()})
    auc_mine, auc_ref = auroc_table(clf_img, dens_img, same), auroc_table(clf_ref, dens_ref, same)
    print(f"{'AUROC':16s} {'confidence: yours; reference':>29s} {'log p(x): yours; reference':>28s}")
    for n in auc_mine:
        print(f"{n:16s} {auc_mine[n][0]:19.3f}; {auc_ref[n][0]:.3f} {auc_mine[n][1]:20.3f}; {auc_ref[n][1]:.3f}")

# %% [markdown]
# **Reading.** The full-size models are better at their own jobs: the classifier makes fewer mistakes,
# and the density separates the blobs a little better. The lesson of this section does not change:
# the reference's confidence still separates digits from outliers only moderately (every AUROC
# below 0.9), and its bigger density does no better on strokes and letters: more principal
# components fit simple pen strokes as well as they fit digits. This is a property of the models,
# not of the fast sizes.

# %% tags=["claim"]
if show_ref:
    assert acc_ref > acc_mine, f"the reference should be more accurate: {acc_ref:.3f} vs {acc_mine:.3f}"
    assert auc_ref["blurred blobs"][1] >= auc_mine["blurred blobs"][1], f"reference: blobs at least as well separated: {auc_ref} vs {auc_mine}"
    assert max(c for c, _ in auc_ref.values()) < 0.9, f"reference: confidence should separate only moderately: {auc_ref}"
    for n in ("random strokes", "letters"):
        assert auc_ref[n][1] <= auc_mine[n][1] + 0.005, f"{n}: the bigger density should do no better: {auc_ref[n]} vs {auc_mine[n]}"

# %% [markdown] nbgrader={"schema_version": 3, "grade": true, "solution": true, "locked": false, "grade_id": "density-q-smooth-images", "points": 1}
# **Question.** Why might an image with few, smooth strokes be *easy* for a Gaussian model of pixels,
# even though it is not a digit?
#
# ### BEGIN SOLUTION
# The Gaussian's log-density is mostly a sum over pixels of how far each pixel is from its mean,
# scaled by the variance there. A stroke image is black almost everywhere, like the background of
# every digit, so most of its 784 pixels match the model very well; the few stroke pixels lie in the
# directions (principal components) in which digits vary most, where the model expects large values.
# Nothing in the model asks whether the strokes form a digit: it scores low-level pixel statistics.
# An image with *less* ink than a digit can even beat a typical digit, because fewer pixels deviate
# from the dark mean. Noise, in contrast, deviates in every pixel.
# ### END SOLUTION

# %% [markdown]
# ## 7. The map of the course
# | kind | what it models | trained with | notebook |
# |---|---|---|---|
# | discriminative, supervised | P(y\|x), here per pixel | labels | [03 UNet](03_unet.ipynb) |
# | unsupervised: clustering | groups of x | no labels | [01 k-Means](01_kmeans.ipynb), [02 Mean Shift](02_mean_shift.ipynb) (the mode-seeking view of a kernel density) |
# | generative, explicit density, tractable | P(x) exactly | no labels | this notebook (Gaussian mixture, kernel density, probabilistic PCA); autoregressive PixelCNN in [06 Taxonomy](06_taxonomy.ipynb) (P(x) as a product of one conditional per pixel) |
# | generative, explicit density, approximate | a lower bound (ELBO) on log P(x) | no labels | [04 AE/VAE](04_autoencoders_vae.ipynb), [04b VAE likelihood](04b_vae_likelihood.ipynb) |
# | generative, sampler (implicit density) | only samples of P(x) | no labels | [05 GAN](05_gan.ipynb), [05b GAN beyond](05b_gan_beyond.ipynb) (one step from noise to data); flow matching in [06 Taxonomy](06_taxonomy.ipynb) (many small steps) |
# | conditional generative | P(x\|y) | labels | conditional VAE/GAN in [04](04_autoencoders_vae.ipynb) and [05](05_gan.ipynb) |

# Terms: *kernel density estimation* puts a small bump on every training point; *ELBO* is the
# evidence lower bound that a VAE maximises; an *implicit* model defines P(x) only through its
# sampler. (A flow's P(x) could be computed by integrating along its path; lab 06 uses flow matching
# as a sampler.)

# %%
from labkit.density import plot_taxonomy
plot_taxonomy();

# %% [markdown]
# **Reading.** Read the tree from the top: the first split is whether labels are needed, the second
# (for models of the data alone) whether the model gives P(x) exactly, a bound on it, or only
# samples. Every lab of the course sits on one leaf.

# %% [markdown]
# ## Summary
# * Supervised learning needs labels y; unsupervised learning uses x alone (clustering, dimensionality
#   reduction, feature learning, density estimation).
# * A discriminative model P(y|x) assigns labels; a generative model P(x) scores and samples data; a
#   conditional generative model P(x|y) samples data of a chosen class.
# * A density integrates to 1: putting mass in one place takes it from everywhere else.
# * A classifier's labels compete, the inputs do not: it is confident on nonsense. A density threshold
#   lets it abstain, at the price of rejecting a few good points.
# * Bayes' rule turns P(y|x), P(x) and P(y) into P(x|y); two separately fitted models need not agree.
# * On images, low likelihood flags noise well, but simple images can get a high likelihood.
#
# ## Questions
# 1. Kernel density estimation puts a small bump on every training point. What does Mean Shift (lab 02)
#    climb, and how does that relate to P(x)?
# 2. A VAE (lab 04) cannot compute P(x) exactly. Which of this notebook's uses (abstaining, sampling,
#    Bayes' rule) still work with only a lower bound on log P(x)? Notebook 04b computes the real value
#    for a 2-D latent, by numerical integration.
# 3. A GAN (lab 05) can only sample. How could you still detect outliers with it?
# 4. The PixelCNN of lab 06 gives log P(x) of an image exactly. Which of this notebook's uses does that
#    allow, and what does section 6 warn about using it to flag outliers?
