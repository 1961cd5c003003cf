import torch.nn.functional as F

def discriminator_loss(real_logits, fake_logits):
    """Scalar: -mean log D(x_real) - mean log(1 - D(x_fake)), from logits."""
    # typical mistake: the textbook formula on probabilities; log(1 - sigmoid(l)) is log(0) = -inf
    # once D is confident (large logits)
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    return -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
