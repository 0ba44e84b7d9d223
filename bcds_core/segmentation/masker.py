"""The released U-Net behind one call: working-scale images in, cell masks out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcds_core.preprocessing import resize_mask, to_working_scale
from bcds_core.segmentation.mask_features import find_cell
from bcds_core.segmentation.unet import load_unet, predict_probabilities


class CellMasker:
    """Loads the U-Net once (hash-checked) and masks images of any size."""

    def __init__(self, directory: Path, device: str = "cpu"):
        self.model, self.config = load_unet(directory, device)

    def masks(self, working_images: list[np.ndarray]) -> list[np.ndarray]:
        """Boolean masks (all components) at each working image's size."""
        threshold = self.config["threshold"]
        return [p > threshold for p in predict_probabilities(self.model, working_images, self.config)]

    def cell_mask(self, rgb: np.ndarray) -> np.ndarray:
        """The mask of the cell the image is about, at the image's own size (HxW bool)."""
        working = to_working_scale(rgb)
        cell, _ = find_cell(working, self.masks([working])[0])
        return resize_mask(cell, *rgb.shape[:2])
