def kl_divergence(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per example: shape (B,)."""
    # averages over the latent dimensions instead of summing them
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=1)
