"""Losses, one module per topic (segmentation: Dice; vae: ELBO terms; gan: adversarial losses)."""
