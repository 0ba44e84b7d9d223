"""White balance on the bare slide, before the U-Net masks an image.

The lamp, the camera and the slide glass tint a whole image; the stain does
not tint the bare slide between the cells. Per-channel gains that turn the
image's slide colour (``preprocessing.slide_colour``) into the slide colour of
the training images remove such a cast and nothing else: no stain model is
assumed, so the stain's own colours stay as they came. The U-Net learned on
CellaVision slides (PBC and the CellaVision-blog expert masks, slides within
a few levels of ``REFERENCE_SLIDE_RGB``); on a yellowish or warm slide it
lost the pale cytoplasm and took in red cells (mean IoU 0.82 and 0.71 on the
held-out expert images under such casts), which balancing brings back to
0.93 (``scripts/mask_robustness.py``, ``docs/masks.md``).
"""

from __future__ import annotations

import numpy as np

from bcds_core.preprocessing import slide_colour

#: Median slide colour (RGB) of 300 PBC training images: 10th-90th percentile within 3 levels.
REFERENCE_SLIDE_RGB = (255, 230, 202)
#: Gains outside this range are clipped, so a dark or nearly empty image is not blown out.
GAIN_LIMITS = (0.5, 2.0)


def slide_gains(rgb: np.ndarray, reference: tuple[int, int, int] = REFERENCE_SLIDE_RGB) -> np.ndarray:
    """Per-channel gains (3 float32) that turn the slide colour of HxWx3 uint8 ``rgb`` into ``reference``."""
    slide = np.maximum(np.asarray(slide_colour(rgb), np.float32), 1.0)
    return np.clip(np.asarray(reference, np.float32) / slide, *GAIN_LIMITS)


def balanced_to_slide(rgb: np.ndarray, reference: tuple[int, int, int] = REFERENCE_SLIDE_RGB) -> np.ndarray:
    """HxWx3 uint8 ``rgb`` with its slide colour moved to ``reference`` (saturating at 255)."""
    gains = slide_gains(rgb, reference)
    return np.clip(rgb.astype(np.float32) * gains, 0, 255).astype(np.uint8)
