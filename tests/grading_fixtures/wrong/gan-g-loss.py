def generator_loss(fake_logits, kind="nonsaturating"):
    """kind="saturating": mean log(1 - D(G(z))); kind="nonsaturating": -mean log D(G(z))."""
    # typical mistake: the saturating loss with the sign of a cross-entropy (-log(1 - D)), which the
    # generator would then minimise in the wrong direction
    if kind == "saturating":
        return F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()
