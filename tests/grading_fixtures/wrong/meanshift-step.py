def shift_step(X, S, bandwidth):
    """One flat-kernel mean-shift step for all seeds: (N, D), (M, D) -> (M, D)."""
    inside = (torch.cdist(S, X) <= bandwidth).to(X.dtype)
    # returns the mean-shift vector instead of the new position
    return inside @ X / inside.sum(1, keepdim=True).clamp(min=1) - S
