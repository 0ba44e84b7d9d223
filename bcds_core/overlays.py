"""Pictures for people: mask outlines and heat maps drawn onto the cell image.

Used for the shipped review thumbnails, the docs' galleries and the app's
images (``bcds_ui.figures`` wraps them in interactive plotly figures), so that
a mask looks the same everywhere.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.segmentation import find_boundaries

OUTLINE_RGB = (0, 200, 120)


def outline(rgb: np.ndarray, mask: np.ndarray, colour=OUTLINE_RGB, thickness: int = 2) -> np.ndarray:
    """A copy of an HxWx3 uint8 image with the boolean mask's outline drawn."""
    edge = find_boundaries(mask, mode="inner")
    if thickness > 1:
        edge = cv2.dilate(edge.astype(np.uint8), np.ones((thickness, thickness), np.uint8)) > 0
    shown = rgb.copy()
    shown[edge] = colour
    return shown


def heat_overlay(
    rgb: np.ndarray, heat: np.ndarray, mask: np.ndarray | None = None, alpha: float = 0.5
) -> np.ndarray:
    """Blend an HxW heat map in [0, 1] (inferno colours) onto the image, with the mask outline."""
    coloured = cv2.applyColorMap(np.uint8(np.clip(heat, 0, 1) * 255), cv2.COLORMAP_INFERNO)[..., ::-1]
    weight = (alpha * np.clip(heat, 0, 1))[..., None]
    blended = (rgb * (1 - weight) + coloured * weight).astype(np.uint8)
    return outline(blended, mask) if mask is not None else blended


def thumbnail(rgb: np.ndarray, side: int = 160) -> np.ndarray:
    """Shrink an image so that its longer side is ``side`` pixels."""
    scale = side / max(rgb.shape[:2])
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
