def grid_log_px(log_joint, log_dv):
    """log of sum_g p(x, z_g) * cell area, per row of log_joint (B, G): shape (B,)."""
    # forgets the cell area: a sum of densities is not an integral
    return torch.logsumexp(log_joint, dim=1)
