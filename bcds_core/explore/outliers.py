"""Outliers: the images farthest from their own class signature, and their thumbnails.

A large distance flags an image worth a look: a wrong label, two cells, debris,
a cell off-centre or a mask that missed the cell, or simply an unusual cell.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: Side of the shipped outlier thumbnails, pixels.
OUTLIER_THUMBNAIL_SIDE = 96


def farthest_per_class(distances: np.ndarray, classes: list[str], per_class: int) -> list[int]:
    """Indices of the ``per_class`` largest distances within each class, largest first.

    Args:
        distances: N float, each image's distance to its own class signature.
        classes: N class names.
        per_class: how many to keep in each class.

    Returns:
        Indices into ``distances``, sorted by decreasing distance over all classes.
    """
    distances = np.asarray(distances, np.float64)
    classes = np.asarray(classes)
    chosen: list[int] = []
    for name in np.unique(classes):
        members = np.flatnonzero(classes == name)
        chosen += members[np.argsort(-distances[members], kind="stable")][:per_class].tolist()
    return sorted(chosen, key=lambda i: -distances[i])


def thumbnail_jpeg(rgb: np.ndarray, side: int = OUTLIER_THUMBNAIL_SIDE, quality: int = 85) -> bytes:
    """A small JPEG of an HxWx3 uint8 RGB image, longer side ``side`` pixels."""
    image = Image.fromarray(rgb)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
