"""Labs 04 and 04b, autoencoders and VAEs: AE/VAE models and their trainer (``models``), ELBO terms
(``losses``), latent-space and anomaly metrics (``metrics``), slider views (``views``), the exact
and importance-sampled likelihood of lab 04b (``likelihood``, ``likelihood_views``) and the checks
of both labs (``checks``, ``likelihood_checks``)."""
