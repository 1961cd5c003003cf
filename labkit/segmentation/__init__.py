"""Lab 03, semantic segmentation: the course UNet (``unet``, also used by labs 05 and 06), Dice
and cross-entropy losses (``losses``), IoU and accuracy (``metrics``), static figures
(``plots``), slider views (``views``) and the exercises' checks (``checks``). The data lives in
``labkit.data.segmentation``."""
