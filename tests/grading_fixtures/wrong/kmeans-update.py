def update(X, labels, k):
    """Mean of the points of each cluster: (N, D), (N,), k -> (k, D)."""
    sums = torch.zeros(k, X.shape[1], dtype=X.dtype).index_add_(0, labels, X)
    return sums
