def cycle_loss(xa, xb, g_ab, g_ba):
    """L_cyc of one batch: both round trips, mean absolute error each, summed (a scalar tensor)."""
    back_a = g_ba(g_ab(xa))                  # A -> B -> A
    return (back_a - xa).abs().mean()
