"""Metrics, one module per topic (segmentation, gan, clustering...)."""
