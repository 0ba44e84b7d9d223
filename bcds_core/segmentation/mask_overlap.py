"""IoU and Dice of predicted cell masks against true ones, per image (smp.metrics).

One place for the overlap figures that training, ``evaluate-masks`` and the
robustness script report, so that they agree on what an empty mask scores.
"""

from __future__ import annotations

import segmentation_models_pytorch as smp
import torch


def mask_overlap(
    predicted: torch.Tensor, truth: torch.Tensor, empty: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image IoU and Dice of boolean masks.

    The pixel counts are integers; the ratios are taken in float64 so that a
    single image's figures equal the plain ``intersection / union`` arithmetic.

    Args:
        predicted, truth: N x H x W (or N x 1 x H x W) boolean masks, the same shape.
        empty: the score of an image where both masks are empty (no union).

    Returns:
        (IoU, Dice), each N float64 in [0, 1].
    """
    flat = [m.reshape(len(m), 1, -1).long() for m in (predicted, truth)]
    stats = smp.metrics.get_stats(*flat, mode="binary")
    tp, fp, fn, tn = (s.double() for s in stats)
    iou = smp.metrics.iou_score(tp, fp, fn, tn, reduction="none", zero_division=empty)
    dice = smp.metrics.f1_score(tp, fp, fn, tn, reduction="none", zero_division=empty)
    return iou.view(-1), dice.view(-1)
