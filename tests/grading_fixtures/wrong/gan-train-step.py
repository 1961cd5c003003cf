def train_step(G, D, opt_g, opt_d, real, z):
    """One D update then one G update; returns (d_loss, g_loss) as floats."""
    # typical mistake: D's gradients are never cleared, so the generator step's gradients in D
    # leak into the next discriminator update
    fake = G(z)
    loss_d = discriminator_loss(D(real), D(fake.detach()))
    loss_d.backward()
    opt_d.step()
    loss_g = generator_loss(D(fake), "nonsaturating")
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()
