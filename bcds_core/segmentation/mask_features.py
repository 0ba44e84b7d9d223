"""What the mask says about an image: one cell, no cell, several, or cut off.

The U-Net masks only the cell the image is about, so other cells are found
from the dark (nucleus-stained) components outside that mask: a second
nucleated cell lying wholly in view makes the image a multi-cell image. Small
dark blobs (platelets, debris) and cells cut by the border do not count, as
CellaVision images often show a neighbour's edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from bcds_core.segmentation.derived_masks import DARK_FRACTION

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
        area_fraction: main cell area / image area.
        touches_border: the main cell is cut by the image border.
        other_cells: whole nucleated cells in view besides the main one.
        mask_components: cell-sized components of the U-Net mask.
    """

    cell_found: bool
    area_fraction: float
    touches_border: bool
    other_cells: int
    mask_components: int

    @property
    def single_cell(self) -> bool:
        return self.cell_found and self.other_cells == 0 and self.area_fraction <= MAX_CELL_FRACTION


def main_component(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The largest component of a boolean mask, and how many are cell-sized."""
    labels, count = ndi.label(mask)
    if count == 0:
        return np.zeros_like(mask), 0
    sizes = ndi.sum_labels(mask, labels, np.arange(1, count + 1))
    return labels == (int(np.argmax(sizes)) + 1), int((sizes >= MIN_CELL_AREA).sum())


def describe_mask(rgb: np.ndarray, cell: np.ndarray) -> MaskFeatures:
    """Describe a working-scale RGB image and its main-cell mask (HxW bool)."""
    main, components = main_component(cell)
    area = int(main.sum())
    if area < MIN_CELL_AREA:
        return MaskFeatures(False, area / main.size, False, 0, components)
    border = np.zeros_like(main)
    border[[0, -1], :] = border[:, [0, -1]] = True
    green = rgb[..., 1].astype(np.float32)
    dark = ndi.binary_opening(green < DARK_FRACTION * np.median(green), iterations=1)
    main_dark = int((dark & main).sum())
    others = dark & ~ndi.binary_dilation(main, iterations=3)
    labels, count = ndi.label(ndi.binary_closing(others, iterations=3))
    threshold = max(MIN_OTHER_NUCLEUS_AREA, MIN_OTHER_NUCLEUS_RATIO * main_dark)
    other_cells = 0
    for label, component in enumerate(ndi.find_objects(labels), start=1):
        region = labels[component] == label
        if region.sum() >= threshold and not border[component][region].any():
            other_cells += 1
    return MaskFeatures(True, area / main.size, bool((main & border).any()), other_cells, components)
