"""Binary morphology as ``scipy.ndimage`` defines it, computed by OpenCV.

The red-cell ruler, the field check and the count of other cells in view run
on every upload; scipy's iterated binary morphology took a third of the ruler's
time and 20 ms of a large photo's answer. These give the same pixels (3x3 cross,
pixels outside the image counted as background in every step) several times faster.
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


def binary_dilation(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_dilation(mask, iterations=iterations)``."""
    return _dilated(mask.astype(np.uint8), iterations).astype(bool)


def binary_opening(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_opening(mask, iterations=iterations)``."""
    return _dilated(_eroded(mask.astype(np.uint8), iterations), iterations).astype(bool)


def binary_closing(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_closing(mask, iterations=iterations)`` (its zero border
    included: closing erodes foreground that touches the image edge)."""
    return _eroded(_dilated(mask.astype(np.uint8), iterations), iterations).astype(bool)


def binary_fill_holes(mask: np.ndarray) -> np.ndarray:
    """HxW bool: ``scipy.ndimage.binary_fill_holes(mask)``: background not 4-connected to
    the outside of the image becomes foreground.

    A background ring around the image joins every border pixel to the outside, so one flood
    fill from its corner reaches exactly the background that is not a hole.
    """
    outside = np.pad(~mask, 1, constant_values=True).astype(np.uint8)
    reached = np.zeros((outside.shape[0] + 2, outside.shape[1] + 2), np.uint8)
    cv2.floodFill(outside, reached, (0, 0), 2, flags=4)
    return outside[1:-1, 1:-1] != 2
