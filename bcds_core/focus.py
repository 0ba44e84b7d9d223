"""Is the cell in focus? Fine detail measured against coarser detail, at the CellaVision pixel size.

A soft image (out of focus, or enlarged from fewer camera pixels than the
CellaVision's) loses its chromatin texture and granules first, and the classifier
reads what is left with a confidence it has not earned. The measure is the
spread of the finest scale (the image minus its Gaussian blur at 1 px) over
that of the next scale (blur at 1 px minus blur at 3 px), inside the cell: a
ratio, so it depends little on how much texture a cell has or how dark it is
stained, and blurring lowers it steadily (``docs/robustness.md``, focus check).
"""

from __future__ import annotations

import cv2
import numpy as np

#: Below this ratio the cell is too soft to trust an answer: about PBC's 0.5th percentile at the
#: CellaVision pixel size (DeepAPL's is 0.37); it calls 88 % (PBC) and 99 % (DeepAPL) of the same
#: training cells blurred with sigma 1.5 px soft (``scripts/focus_check.py``, ``docs/robustness.md``).
MIN_SHARPNESS = 0.29
#: Pixels the cell mask is widened by, so the cell's edge counts.
EDGE_PX = 2


def sharpness(rgb: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> float | None:
    """Fine over coarser detail of the green channel inside the mask (None for a tiny mask).

    Args:
        rgb: HxWx3 uint8, the cell at ``scale`` x the CellaVision pixel size.
        mask: HxW bool, the cell.
        scale: pixels per CellaVision pixel of ``rgb``; the measure is taken at 1.0.
    """
    green, inside = rgb[..., 1].astype(np.float32), mask.astype(np.uint8)
    if scale != 1.0:
        size = (round(green.shape[1] / scale), round(green.shape[0] / scale))
        green = cv2.resize(green, size, interpolation=cv2.INTER_LINEAR)
        inside = cv2.resize(inside, size, interpolation=cv2.INTER_NEAREST)
    inside = cv2.dilate(inside, np.ones((2 * EDGE_PX + 1,) * 2, np.uint8)) > 0
    if inside.sum() < 50:
        return None
    fine_blur, coarse_blur = cv2.GaussianBlur(green, (0, 0), 1.0), cv2.GaussianBlur(green, (0, 0), 3.0)
    fine, coarser = (green - fine_blur)[inside].std(), (fine_blur - coarse_blur)[inside].std()
    return float(fine / coarser) if coarser > 0 else None


def in_focus(rgb: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> bool:
    """False only where the cell is measurably soft (``MIN_SHARPNESS``)."""
    measured = sharpness(rgb, mask, scale)
    return measured is None or measured >= MIN_SHARPNESS
