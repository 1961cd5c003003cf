def assign(X, C):
    """Index of the nearest centre for each row of X: (N, D), (K, D) -> (N,) int64."""
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)   # (N, K) squared distances
    return d2.argmax(dim=1)
