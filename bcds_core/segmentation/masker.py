"""The released U-Net behind one call: working-scale images in, cell masks out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcds_core.preprocessing import resize_mask, to_working_scale
from bcds_core.segmentation.mask_features import main_component
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
        """The main cell's mask at the image's own size (HxW bool)."""
        working_mask = self.masks([to_working_scale(rgb)])[0]
        return resize_mask(main_component(working_mask)[0], *rgb.shape[:2])
