def iw_estimate(log_w):
    # exponentiates the log weights directly: underflows to 0 for image log weights, log(0) = -inf
    return log_w.exp().mean(dim=1).log()
