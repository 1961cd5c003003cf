import torch.nn.functional as F


def fade_in(old_rgb, new_rgb, alpha):
    """Blend the old stage's image (N, 1, r, r) into the new one (N, 1, 2r, 2r) with weight alpha on the new."""
    old_up = F.interpolate(old_rgb, scale_factor=2, mode="nearest")   # (N, 1, 2r, 2r)
    return alpha * old_up + (1 - alpha) * new_rgb
