"""White cells in a smear field, found by their nucleus stain, at the models' pixel size.

Nuclei of white cells (and platelets) take up the basic dye: they are bluer
than red and darker than the slide, in May-Grünwald-Giemsa, Wright and rapid
stains alike, while red cells are redder than blue. Nucleus pixels are joined
across the gaps between the lobes of one nucleus, and a joined region large
enough for a white-cell nucleus is a white cell; a platelet is far smaller.
Sizes are in micrometres, so the rule holds at any pixel size once the field
is at the reference (``pixel_size``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from bcds_core.binary_morphology import binary_closing, binary_opening
from bcds_core.pixel_size import REFERENCE_PIXEL_UM

#: A pixel is nucleus-stained when blue exceeds red by this much (0-255) ...
MIN_BLUE_OVER_RED = 20
#: ... and its green is below this share of the slide's.
MAX_GREEN_OF_SLIDE = 0.85
#: Lobes of one nucleus lie within this distance of each other, micrometres.
LOBE_GAP_UM = 1.5
#: Smallest nucleus of a white cell (a small lymphocyte's is about 40 um^2; a platelet under 8).
MIN_NUCLEUS_UM2 = 15.0
#: Margin added around the nucleus for the cell's box (cytoplasm), micrometres.
CYTOPLASM_MARGIN_UM = 2.0


@dataclass(frozen=True)
class FoundCell:
    """A white cell found in a field at the reference pixel size.

    Attributes:
        box: (x0, y0, x1, y1) pixels of the field at the reference, the nucleus plus a margin.
        centre: (x, y) of the nucleus.
        cut_by_border: the nucleus touches the field's border.
    """

    box: tuple[int, int, int, int]
    centre: tuple[float, float]
    cut_by_border: bool


def nucleus_pixels(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: pixels stained like a nucleus (bluer than red, darker than the slide)."""
    red, green, blue = (rgb[..., i].astype(np.int16) for i in range(3))
    slide_green = np.percentile(green, 95)
    return (blue - red > MIN_BLUE_OVER_RED) & (green < MAX_GREEN_OF_SLIDE * slide_green)


def find_white_cells(rgb: np.ndarray) -> list[FoundCell]:
    """White cells of a field at the reference pixel size, in reading order (top to bottom, left to right)."""
    gap = max(1, round(LOBE_GAP_UM / REFERENCE_PIXEL_UM / 2))
    # The field's edge repeated outward while joining lobes: closing against a blank border eroded
    # the outer pixels of a nucleus cut by the edge, so no cell ever touched it (none flagged as cut).
    pad = gap + 1
    stained = np.pad(nucleus_pixels(rgb), pad, mode="edge")
    nuclei = binary_closing(binary_opening(stained, iterations=1), iterations=gap)[pad:-pad, pad:-pad]
    labels, count = ndi.label(nuclei)
    min_area = MIN_NUCLEUS_UM2 / REFERENCE_PIXEL_UM**2
    margin = round(CYTOPLASM_MARGIN_UM / REFERENCE_PIXEL_UM)
    height, width = nuclei.shape
    found = []
    for index, box in enumerate(ndi.find_objects(labels), start=1):
        region = labels[box] == index
        if region.sum() < min_area:
            continue
        y, x = ndi.center_of_mass(region)
        rows, cols = box
        cut = rows.start == 0 or cols.start == 0 or rows.stop == height or cols.stop == width
        found.append(
            FoundCell(
                (
                    max(0, cols.start - margin),
                    max(0, rows.start - margin),
                    min(width, cols.stop + margin),
                    min(height, rows.stop + margin),
                ),
                (cols.start + float(x), rows.start + float(y)),
                cut,
            )
        )
    return sorted(found, key=lambda c: (round(c.centre[1] / 50), c.centre[0]))
