"""Colour histograms of the cell (inside its mask) and of the background (outside).

Histograms are kept as raw pixel counts per image so that a class's histogram
is simply the sum over its images (each pixel counts once, whatever the image
size); ``to_fractions`` turns the sums into fractions for display.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Regions, in axis-0 order of a histogram array.
REGIONS: tuple[str, ...] = ("cell", "background")
#: Channels, in axis-1 order. H, S, V are OpenCV's full-range HSV: all 0-255, hue one turn.
CHANNELS: tuple[str, ...] = ("R", "G", "B", "H", "S", "V")
#: Bins per channel over 0-255 (8 intensity levels each).
N_BINS = 32


def bin_edges() -> np.ndarray:
    """The ``N_BINS + 1`` bin edges over 0-256 (float32)."""
    return np.linspace(0, 256, N_BINS + 1, dtype=np.float32)


def colour_histograms(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pixel counts per colour bin, inside and outside the cell mask.

    Args:
        rgb: HxWx3 uint8 RGB image.
        mask: HxW bool, True on the cell (may be all False: the cell histogram is then empty).

    Returns:
        len(REGIONS) x len(CHANNELS) x N_BINS float64 pixel counts.
    """
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)
    inside = mask.astype(np.uint8)
    counts = np.zeros((len(REGIONS), len(CHANNELS), N_BINS), np.float64)
    for r, region_mask in enumerate((inside, 1 - inside)):
        if not region_mask.any():
            continue
        for c, name in enumerate(CHANNELS):
            source, index = (rgb, "RGB".index(name)) if name in "RGB" else (hsv, "HSV".index(name))
            hist = cv2.calcHist([source], [index], region_mask, [N_BINS], [0, 256])
            counts[r, c] = np.ravel(hist)
    return counts


def to_fractions(counts: np.ndarray) -> np.ndarray:
    """Counts (... x N_BINS) to fractions summing to 1 over the bins (zeros stay zeros)."""
    total = counts.sum(axis=-1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts, dtype=np.float64), where=total > 0)
