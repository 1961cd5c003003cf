def euler_step(velocity, x, t, dt):
    """x (N, C, H, W) at times t (N,) -> x after one step of size dt."""
    # typical mistake: the velocity is taken at the end of the step
    return x + dt * velocity(x, t + dt)
