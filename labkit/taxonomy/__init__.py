"""Lab 06, the taxonomy of generative models: an autoregressive model (``pixelcnn``), a
flow-matching sampler on the course UNet (``flow``), the measurements of the table (``table``) and
the slider views (``views``)."""
