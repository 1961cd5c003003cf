def bayes(p_y_given_x, p_x, p_y):
    return p_y_given_x * p_x[:, None]
