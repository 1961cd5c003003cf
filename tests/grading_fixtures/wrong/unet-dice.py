def dice_loss(logits, target, eps=1.0):
    """logits (N, K, H, W) float, target (N, H, W) int64 -> scalar soft Dice loss."""
    # forgets the softmax: compares raw logits with the one-hot target
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    inter = (logits * t).sum(dim=(0, 2, 3))
    denom = logits.sum(dim=(0, 2, 3)) + t.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()
