def normalise(values, cell_area):
    return values / values.sum()
