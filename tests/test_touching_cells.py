"""Touching cells in one mask component: split at narrow necks, only between nucleated cells."""

from __future__ import annotations

import numpy as np
import pytest

from bcds_core.segmentation.mask_features import MIN_OTHER_NUCLEUS_AREA, find_cell
from bcds_core.segmentation.touching_cells import narrow_neck_parts, touching_cells

SHAPE = (182, 180)
SLIDE, CYTOPLASM, NUCLEUS = (250, 225, 200), (215, 180, 215), (90, 60, 140)


def disc(centre: tuple[float, float], radius: float) -> np.ndarray:
    """HxW bool disc at (x, y)."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]]
    return np.hypot(cols - centre[0], rows - centre[1]) < radius


def smear(cells: list[np.ndarray], nuclei: list[np.ndarray]) -> np.ndarray:
    """A working-scale RGB image: slide, then the cells' cytoplasm, then their nuclei."""
    rgb = np.empty((*SHAPE, 3), np.uint8)
    rgb[...] = SLIDE
    for cell in cells:
        rgb[cell] = CYTOPLASM
    for nucleus in nuclei:
        rgb[nucleus] = NUCLEUS
    return rgb


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# Two cells of radius 30 whose edges overlap by 6 pixels: a neck about 2 x 13 pixels wide.
LEFT, RIGHT = (63.0, 91.0), (117.0, 91.0)


def test_two_touching_nucleated_cells_are_split_at_the_neck():
    left, right = disc(LEFT, 30), disc(RIGHT, 30)
    dark = disc(LEFT, 16) | disc(RIGHT, 16)
    cells = touching_cells(left | right, dark, MIN_OTHER_NUCLEUS_AREA)
    assert len(cells) == 2
    best = sorted(max(iou(cell, truth) for cell in cells) for truth in (left, right))
    assert best[0] > 0.9
    assert not (cells[0] & cells[1]).any() and ((cells[0] | cells[1]) == (left | right)).all()


def test_a_cell_is_never_cut_from_a_part_without_a_nucleus():
    """A nucleated cell against a red cell (no nucleus) stays one component."""
    left, right = disc(LEFT, 30), disc(RIGHT, 30)
    component = left | right
    assert len(narrow_neck_parts(component)) == 2
    assert touching_cells(component, disc(LEFT, 16), MIN_OTHER_NUCLEUS_AREA) == [component]


@pytest.mark.parametrize("axes", [(30, 30), (50, 25)], ids=["round", "elongated 2:1"])
def test_one_cell_with_a_lobed_nucleus_is_one_cell(axes):
    """A round or elongated cell has no narrow neck, whatever its nucleus looks like."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]]
    cell = ((cols - 90) / axes[0]) ** 2 + ((rows - 91) / axes[1]) ** 2 < 1
    lobes = disc((76, 91), 13) | disc((104, 91), 13)  # each lobe alone is nucleus enough
    assert len(narrow_neck_parts(cell)) == 1
    assert touching_cells(cell, lobes, MIN_OTHER_NUCLEUS_AREA) == [cell]


def test_find_cell_keeps_the_cell_nearest_the_centre_and_counts_the_other():
    near, far = disc((80, 91), 30), disc((134, 91), 30)
    rgb = smear([near, far], [disc((80, 91), 16), disc((134, 91), 16)])
    cell, features = find_cell(rgb, near | far)
    assert iou(cell, near) > 0.9
    assert features.other_cells == 1 and not features.single_cell


def test_find_cell_leaves_a_single_cell_whole():
    cell_mask = disc((90, 91), 32)
    rgb = smear([cell_mask], [disc((82, 91), 10), disc((100, 91), 10)])
    cell, features = find_cell(rgb, cell_mask)
    assert (cell == cell_mask).all()
    assert features.single_cell and features.other_cells == 0
