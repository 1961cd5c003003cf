"""Lab 03, semantic segmentation: the course UNet (``unet``, also used by labs 05 and 06), Dice
and cross-entropy losses (``losses``), IoU and accuracy (``metrics``), static figures
(``plots``), slider views (``views``) and the exercises' checks (``checks``, re-exported by
``labkit.checks.unet``). The data lives in ``labkit.data.segmentation``. The notebook imports the
names below from ``labkit.segmentation``."""

from .losses import dice_ce_loss
from .metrics import error_by_region, iou_per_class, mean_iou, pixel_accuracy, segmentation_metrics
from .plots import show_ablation, show_feature_maps, show_segmentation
from .unet import UNet, count_parameters, one_cycle_adam, predict_dataset
from .views import prediction_browser, render_prediction

__all__ = [
    "UNet",
    "count_parameters",
    "dice_ce_loss",
    "error_by_region",
    "iou_per_class",
    "mean_iou",
    "one_cycle_adam",
    "pixel_accuracy",
    "predict_dataset",
    "prediction_browser",
    "render_prediction",
    "segmentation_metrics",
    "show_ablation",
    "show_feature_maps",
    "show_segmentation",
]
