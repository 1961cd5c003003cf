def flow_matching_loss(velocity, x1, x0, t):
    """x1 data, x0 noise (N, C, H, W), t (N,) -> scalar loss."""
    # typical mistake: the target velocity points from the data to the noise
    tt = t.view(-1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * x1
    return ((velocity(xt, t) - (x0 - x1)) ** 2).mean()
