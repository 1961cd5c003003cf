def kmeanspp_probs(X, C):
    """k-means++: probability of each point to be the next centre: (N, D), (M, D) -> (N,)."""
    d = torch.cdist(X, C).min(dim=1).values     # distance to the nearest centre
    return d / d.sum()
