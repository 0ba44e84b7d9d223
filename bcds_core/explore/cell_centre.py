"""Where the cell is: its mask at the image's own size and the mask's centroid.

The released U-Net (``weights/unet``) gives the mask. Before it is trained, or
where it is absent, the classical derived mask (GrabCut from the dark centre,
``segmentation.derived_masks``) stands in, and the locator says so in
``source``. When neither finds a cell the image centre is used (CellaVision
centres the cell it photographs) and ``found`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.preprocessing import resize_mask, to_working_scale
from bcds_core.segmentation.mask_features import mask_centre

#: Mask sources, as reported in the statistics files.
UNET_SOURCE = "unet"
DERIVED_SOURCE = "derived"


@dataclass(frozen=True)
class CellLocation:
    """The located cell of one image.

    Attributes:
        mask: HxW bool at the image's own size (all False when nothing was found).
        centre: (x, y) centroid of the mask in pixels, or the image centre.
        found: a mask was found.
    """

    mask: np.ndarray
    centre: tuple[float, float]
    found: bool


class CellLocator:
    """Masks the central cell with the U-Net when released, else with the derived mask."""

    def __init__(self, unet_dir: Path = WEIGHTS_DIR / "unet", device: str = "cpu"):
        self.source = UNET_SOURCE if (Path(unet_dir) / "config.json").exists() else DERIVED_SOURCE
        self._masker = None
        if self.source == UNET_SOURCE:
            from bcds_core.segmentation.masker import CellMasker  # torch: import only when used

            self._masker = CellMasker(Path(unet_dir), device)

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        """HxW bool mask of the central cell of an HxWx3 uint8 RGB image."""
        if self._masker is not None:
            return self._masker.cell_mask(rgb)
        from bcds_core.segmentation.derived_masks import derive_cell_mask

        derived = derive_cell_mask(to_working_scale(rgb))
        if derived is None:
            return np.zeros(rgb.shape[:2], bool)
        return resize_mask(derived, *rgb.shape[:2])

    def locate(self, rgb: np.ndarray) -> CellLocation:
        """Mask and centre of the cell in an HxWx3 uint8 RGB image."""
        mask = self.mask(rgb)
        return CellLocation(mask, mask_centre(mask), bool(mask.any()))
