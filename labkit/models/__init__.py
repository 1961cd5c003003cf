"""Models of the course, one file per family (unet, autoencoders, gan, classifier)."""
