"""Geometry shared by training and inference: one working scale, one cell crop.

The classifier and the cache work at half the CellaVision pixel size
(``WORKING_SCALE``): a 360x363 image becomes 180x182 and the classifier sees a
``CROP_SIDE`` window (256 original pixels) centred on the cell. Using these
functions in both places keeps what the model trained on and what it is shown
identical.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Pixels of the working image per original pixel.
WORKING_SCALE = 0.5
#: Side of the classifier's input window, in working pixels (= 256 original pixels).
CROP_SIDE = 128


def to_working_scale(rgb: np.ndarray) -> np.ndarray:
    """Resize an HxWx3 uint8 image to the working scale (area interpolation)."""
    height, width = rgb.shape[:2]
    size = (max(1, round(width * WORKING_SCALE)), max(1, round(height * WORKING_SCALE)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a boolean mask to ``height`` x ``width`` (nearest neighbour)."""
    resized = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return resized.astype(bool)


def pad_or_crop_centre(array: np.ndarray, side: int, fill: int | tuple = 0) -> np.ndarray:
    """Centre an array in a ``side`` x ``side`` canvas, cropping what does not fit."""
    height, width = array.shape[:2]
    canvas = np.empty((side, side, *array.shape[2:]), dtype=array.dtype)
    canvas[...] = fill
    top, left = (side - height) // 2, (side - width) // 2
    src_top, src_left = max(0, -top), max(0, -left)
    dst_top, dst_left = max(0, top), max(0, left)
    rows, cols = min(height - src_top, side - dst_top), min(width - src_left, side - dst_left)
    canvas[dst_top : dst_top + rows, dst_left : dst_left + cols] = array[
        src_top : src_top + rows, src_left : src_left + cols
    ]
    return canvas


def background_colour(rgb: np.ndarray) -> tuple[int, int, int]:
    """Median colour of the image border: what the slide looks like without cells."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))
