def causal_mask(k, kind):
    """(k, k) mask of type "A" (centre hidden) or "B" (centre visible)."""
    # typical mistake: the centre is included for both types (mask A sees the pixel it predicts)
    m, c = torch.zeros(k, k), k // 2
    m[:c, :] = 1
    m[c, :c + 1] = 1
    return m
