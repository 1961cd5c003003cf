def identity_loss(xa, xb, g_ab, g_ba):
    """Identity loss of one batch: each generator on an image already in its target domain (scalar)."""
    return (g_ab(xa) - xa).abs().mean() + (g_ba(xb) - xb).abs().mean()
