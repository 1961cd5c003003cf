def center(X):
    return X - X.mean(axis=1, keepdims=True)
