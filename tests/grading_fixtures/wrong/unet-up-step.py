import torch.nn.functional as F

def up_step(x, skip, up, conv):
    """x (N, C, h, w), skip (N, C/2, H, W), up: ConvTranspose2d(C, C/2, 2, stride=2),
    conv: double conv (C -> C/2). Returns conv([skip, up(x) cropped/padded to H x W])."""
    y = up(x)
    dh, dw = skip.shape[-2] - y.shape[-2], skip.shape[-1] - y.shape[-1]
    y = F.pad(y, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
    return conv(torch.cat([y, skip], dim=1))        # upsampled first: the channel order is swapped
