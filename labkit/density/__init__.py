"""Lab 00b, discriminative vs generative: toy data, densities and classifiers on a grid, the
abstaining classifier, image families for out-of-distribution tests (``models``); slider views
(``views``); the exercises' checks (``checks``)."""
