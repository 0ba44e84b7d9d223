"""What the mask says about an image: one cell, no cell, several, or cut off.

The U-Net masks only the cell the image is about, so other cells are found
from the dark (nucleus-stained) components outside that mask: a second
nucleated cell lying wholly in view makes the image a multi-cell image. Small
dark blobs (platelets, debris) and cells cut by the border do not count, as
CellaVision images often show a neighbour's edge. Where the U-Net's mask holds
several touching nucleated cells (``touching_cells``), the cell is the one
nearest the image centre, where CellaVision puts the cell it found, and each
of the others not cut by the border is another whole cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from bcds_core.binary_morphology import binary_closing, binary_dilation
from bcds_core.segmentation.derived_masks import dark_pixels
from bcds_core.segmentation.touching_cells import split_touching_cells

#: Smallest main-cell area, working pixels (a small platelet is ~150).
MIN_CELL_AREA = 60
#: Largest main-cell share of the image before it cannot be a single cell.
MAX_CELL_FRACTION = 0.45
#: A second nucleated cell: dark area at least this many working pixels ...
MIN_OTHER_NUCLEUS_AREA = 400
#: ... and at least this fraction of the main cell's dark area.
MIN_OTHER_NUCLEUS_RATIO = 0.5


def mask_centre(mask: np.ndarray) -> tuple[float, float]:
    """(x, y) centroid of a boolean mask; the array centre if the mask is empty."""
    if not mask.any():
        return (mask.shape[1] - 1) / 2, (mask.shape[0] - 1) / 2
    y, x = ndi.center_of_mass(mask)
    return float(x), float(y)


@dataclass(frozen=True)
class MaskFeatures:
    """Findings of one mask, at working scale.

    Attributes:
        cell_found: a cell-sized main component exists.
        area_fraction: main component area / image area (all of it, where touching cells share it).
        touches_border: the cell is cut by the image border.
        other_cells: whole nucleated cells in view besides the main one.
    """

    cell_found: bool
    area_fraction: float
    touches_border: bool
    other_cells: int

    @property
    def single_cell(self) -> bool:
        return self.cell_found and self.other_cells == 0 and self.area_fraction <= MAX_CELL_FRACTION


def main_component(mask: np.ndarray) -> np.ndarray:
    """The largest component of a boolean mask (all False where it is empty)."""
    labels, count = ndi.label(mask)
    if count == 0:
        return np.zeros_like(mask)
    sizes = ndi.sum_labels(mask, labels, np.arange(1, count + 1))
    return labels == (int(np.argmax(sizes)) + 1)


def count_cells_outside(dark: np.ndarray, component: np.ndarray, min_dark: float, border: np.ndarray) -> int:
    """Whole nucleated cells outside the mask ``component``: dark components of ``min_dark`` pixels clear of the border."""
    others = dark & ~binary_dilation(component, iterations=3)
    labels, _ = ndi.label(binary_closing(others, iterations=3))
    count = 0
    for label, box in enumerate(ndi.find_objects(labels), start=1):
        region = labels[box] == label
        if region.sum() >= min_dark and not border[box][region].any():
            count += 1
    return count


def find_cell(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, MaskFeatures]:
    """The cell of a working-scale image and what its mask says.

    Args:
        rgb: HxWx3 uint8 RGB image at the working scale.
        mask: HxW bool, every component the U-Net found.

    Returns:
        (HxW bool mask of the one cell the image is about, its ``MaskFeatures``).
    """
    component = main_component(mask)
    area = int(component.sum())
    if area < MIN_CELL_AREA:
        return component, MaskFeatures(False, area / component.size, False, 0)
    dark = dark_pixels(rgb)
    fills_frame = area / component.size > MAX_CELL_FRACTION  # rejected whatever it holds
    main, touching = (
        (component, []) if fills_frame else split_touching_cells(component, dark, MIN_OTHER_NUCLEUS_AREA)
    )
    border = np.zeros_like(main)
    border[[0, -1], :] = border[:, [0, -1]] = True
    touching_whole = sum(1 for cell in touching if not (cell & border).any())
    min_dark = max(MIN_OTHER_NUCLEUS_AREA, MIN_OTHER_NUCLEUS_RATIO * int((dark & main).sum()))
    other_cells = touching_whole + count_cells_outside(dark, component, min_dark, border)
    features = MaskFeatures(True, area / main.size, bool((main & border).any()), other_cells)
    return main, features
