"""Binary opening and closing as ``scipy.ndimage`` defines them, computed by OpenCV.

The red-cell ruler runs on every upload; scipy's iterated binary morphology
took a third of its time. These give the same pixels (3x3 cross, pixels outside
the image counted as background in every step) several times faster.
"""

from __future__ import annotations

import cv2
import numpy as np

#: ``scipy.ndimage``'s default structuring element in 2-D: the 4-connected cross.
CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _eroded(mask: np.ndarray, iterations: int) -> np.ndarray:
    return cv2.erode(mask, CROSS, iterations=iterations, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _dilated(mask: np.ndarray, iterations: int) -> np.ndarray:
    return cv2.dilate(mask, CROSS, iterations=iterations, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def binary_opening(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_opening(mask, iterations=iterations)``."""
    return _dilated(_eroded(mask.astype(np.uint8), iterations), iterations).astype(bool)


def binary_closing(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_closing(mask, iterations=iterations)`` (its zero border
    included: closing erodes foreground that touches the image edge)."""
    return _eroded(_dilated(mask.astype(np.uint8), iterations), iterations).astype(bool)
