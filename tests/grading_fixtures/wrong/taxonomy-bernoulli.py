import torch.nn.functional as F

def bernoulli_log_likelihood(logits, x):
    """(N, 1, H, W) logits and binary x -> (N,) log p(x) in nats."""
    # typical mistake: averages over the pixels instead of summing (a per-pixel value, not log p(x))
    return (x * logits - F.softplus(logits)).flatten(1).mean(1)
