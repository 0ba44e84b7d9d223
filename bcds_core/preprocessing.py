"""Geometry shared by training and inference: scales, the cell canvas and the pixel statistics.

The U-Net masks at half the CellaVision pixel size (``WORKING_SCALE``): a
360x363 image becomes 180x182. The classifier reads the cell at the scale its
release names (its config's ``scale``), from a square canvas of
``CANVAS_ORIGINAL_SIDE`` original pixels centred on the cell; its input window
covers 256 original pixels whatever the scale, so a finer scale shows more
detail, not more neighbours. Using these functions in training and inference
keeps what the model learned on and what it is shown identical.

Every crop of an array goes through ``window`` and every placing back through
its inverse ``paste``; ``input_tensors.crop_grid`` is the same crop for a torch
batch, with rotation and zoom.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Pixels of the working image per original pixel.
WORKING_SCALE = 0.5
#: Side of the cell canvas in original pixels: the 256 px input window plus room for shifts.
CANVAS_ORIGINAL_SIDE = 368
#: Mean and std of PBC pixels (RGB, 0-1); fixed so training and inference agree. Training writes
#: them into each release's config, which is what inference reads.
PIXEL_MEAN = [0.80, 0.70, 0.72]
PIXEL_STD = [0.13, 0.17, 0.10]


def scaled_shape(height: int, width: int, scale: float) -> tuple[int, int]:
    """(height, width) of an image of ``height`` x ``width`` resized by ``scale``."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def to_scale(rgb: np.ndarray, scale: float) -> np.ndarray:
    """Resize an HxWx3 uint8 image by ``scale`` (area interpolation)."""
    height, width = scaled_shape(*rgb.shape[:2], scale)
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def to_working_scale(rgb: np.ndarray) -> np.ndarray:
    """Resize an HxWx3 uint8 image to the U-Net's working scale."""
    return to_scale(rgb, WORKING_SCALE)


def cell_at_scale(
    rgb: np.ndarray, working: np.ndarray, working_mask: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """The image at ``scale`` and the working-scale cell mask resized onto it.

    Args:
        rgb: HxWx3 uint8 original image.
        working: ``rgb`` at the working scale (reused when ``scale`` is the working scale).
        working_mask: boolean cell mask of ``working``.
        scale: pixels per original pixel wanted.
    """
    scaled = working if scale == WORKING_SCALE else to_scale(rgb, scale)
    return scaled, resize_mask(working_mask, *scaled.shape[:2])


def canvas_side(scale: float) -> int:
    """Side in pixels (even) of the cell canvas at ``scale``: 184 at the working scale."""
    return 2 * round(CANVAS_ORIGINAL_SIDE * scale / 2)


def scaled_pixels(working_pixels: int, scale: float) -> int:
    """An odd pixel count at ``scale`` for a size given in working pixels (kernels, shifts)."""
    return 2 * round((working_pixels * scale / WORKING_SCALE - 1) / 2) + 1


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a boolean mask to ``height`` x ``width`` (nearest neighbour)."""
    resized = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return resized.astype(bool)


def window(
    array: np.ndarray, top: int, left: int, height: int, width: int, fill: int | tuple = 0
) -> np.ndarray:
    """The ``height`` x ``width`` window of ``array`` whose top-left corner is at (``top``, ``left``).

    The corner may lie outside the array (negative or beyond its size): what the
    window covers outside the array is ``fill`` (a value, or one per channel).
    Trailing dimensions and the dtype are kept.
    """
    out = np.empty((height, width, *array.shape[2:]), dtype=array.dtype)
    out[...] = fill
    src_t, src_l = max(top, 0), max(left, 0)
    src_b, src_r = min(top + height, array.shape[0]), min(left + width, array.shape[1])
    if src_b > src_t and src_r > src_l:
        out[src_t - top : src_b - top, src_l - left : src_r - left] = array[src_t:src_b, src_l:src_r]
    return out


def paste(
    array: np.ndarray, top: int, left: int, height: int, width: int, fill: int | tuple = 0
) -> np.ndarray:
    """The inverse of ``window``: ``array`` placed with its top-left corner at (``top``, ``left``)
    of a ``height`` x ``width`` canvas of ``fill``; what falls outside the canvas is cut."""
    return window(array, -top, -left, height, width, fill)


def pad_or_crop_centre(array: np.ndarray, side: int, fill: int | tuple = 0) -> np.ndarray:
    """Centre an array in a ``side`` x ``side`` canvas, cropping what does not fit."""
    height, width = array.shape[:2]
    return paste(array, (side - height) // 2, (side - width) // 2, side, side, fill)


def cell_canvas(
    image: np.ndarray,
    mask: np.ndarray,
    centre: tuple[int, int],
    side: int,
    fill: tuple[int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A ``side`` square of ``image`` and of ``mask`` (as uint8) centred on ``centre`` (x, y).

    The image is padded with ``fill`` (default: the slide colour of the image's
    border), the mask with 0.
    """
    canvas = square_around(image, centre, side, background_colour(image) if fill is None else fill)
    return canvas, square_around(mask.astype(np.uint8, copy=False), centre, side)


def square_around(array: np.ndarray, centre: tuple[int, int], side: int, fill: int | tuple = 0) -> np.ndarray:
    """The ``side`` square ``window`` of ``array`` centred on ``centre`` (x, y)."""
    return window(array, centre[1] - side // 2, centre[0] - side // 2, side, side, fill)


def slide_colour(rgb: np.ndarray) -> tuple[int, int, int]:
    """Median colour of the brightest twentieth of the pixels: the slide, even where a cell fills the frame."""
    green = rgb[..., 1]
    bright = rgb[green >= np.percentile(green, 95)]
    return tuple(int(v) for v in np.median(bright, axis=0))


def background_colour(rgb: np.ndarray) -> tuple[int, int, int]:
    """Median colour of the image border: what the slide looks like without cells."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))
