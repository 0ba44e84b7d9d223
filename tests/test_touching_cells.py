"""Touching cells in one mask component: split at narrow necks, only between nucleated cells."""

from __future__ import annotations

import numpy as np
import pytest

from bcds_core.segmentation.mask_features import MIN_OTHER_NUCLEUS_AREA, find_cell
from bcds_core.segmentation.touching_cells import narrow_neck_parts, split_touching_cells

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


def split(component: np.ndarray, dark: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    return split_touching_cells(component, dark, MIN_OTHER_NUCLEUS_AREA)


def assert_unsplit(result: tuple[np.ndarray, list[np.ndarray]], component: np.ndarray) -> None:
    cell, others = result
    assert np.array_equal(cell, component) and others == []


# Two cells of radius 30 whose edges overlap by 6 pixels: a neck about 2 x 13 pixels wide.
NEAR, FAR = (80.0, 91.0), (134.0, 91.0)


def test_two_touching_nucleated_cells_are_cut_at_the_neck_and_the_central_one_kept():
    near, far = disc(NEAR, 30), disc(FAR, 30)
    cell, others = split(near | far, disc(NEAR, 16) | disc(FAR, 16))
    assert iou(cell, near) > 0.9 and len(others) == 1 and iou(others[0], far) > 0.9
    assert not (cell & others[0]).any() and np.array_equal(cell | others[0], near | far)


def test_a_cell_is_never_cut_from_a_part_without_a_nucleus():
    """A nucleated cell against a red cell (no nucleus) stays one component."""
    component = disc(NEAR, 30) | disc(FAR, 30)
    assert len(narrow_neck_parts(component)) == 2
    assert_unsplit(split(component, disc(NEAR, 16)), component)


def test_a_small_central_cell_is_never_handed_to_a_neighbour():
    """A platelet touching two nucleated cells: the central part has no nucleus, so nothing is split."""
    platelet, left, right = disc((90, 91), 12), disc((54, 91), 26), disc((126, 91), 26)
    component = platelet | left | right
    assert_unsplit(split(component, disc((54, 91), 15) | disc((126, 91), 15) | disc((90, 91), 5)), component)


@pytest.mark.parametrize("axes", [(30, 30), (50, 25)], ids=["round", "elongated 2:1"])
def test_one_cell_with_a_lobed_nucleus_is_one_cell(axes):
    """A round or elongated cell has no narrow neck, whatever its nucleus looks like."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]]
    cell = ((cols - 90) / axes[0]) ** 2 + ((rows - 91) / axes[1]) ** 2 < 1
    lobes = disc((76, 91), 13) | disc((104, 91), 13)  # each lobe alone is nucleus enough
    assert len(narrow_neck_parts(cell)) == 1
    assert_unsplit(split(cell, lobes), cell)


def test_a_long_flat_band_stays_one_part():
    """A ridge of equal distance peaks (a huge or ragged mask) merges back into one part."""
    band = np.zeros((40, 2000), bool)
    band[10:30, 5:1995] = True
    assert len(narrow_neck_parts(band)) == 1


def test_find_cell_counts_every_touching_whole_cell():
    cells = [disc((90, 91), 30), disc((144, 91), 30), disc((36, 91), 30)]
    nuclei = [disc(c, 16) for c in ((90, 91), (144, 91), (36, 91))]
    component = cells[0] | cells[1] | cells[2]
    cell, features = find_cell(smear(cells, nuclei), component)
    assert iou(cell, cells[0]) > 0.9
    assert features.other_cells == 2 and not features.single_cell
    assert features.area_fraction == pytest.approx(component.sum() / component.size)


def test_a_touching_neighbour_cut_by_the_border_is_not_another_whole_cell():
    near, cut = disc((110, 91), 30), disc((164, 91), 30)
    rgb = smear([near, cut], [disc((110, 91), 16), disc((164, 91), 16)])
    cell, features = find_cell(rgb, near | cut)
    assert iou(cell, near) > 0.9
    assert features.other_cells == 0 and features.single_cell


def test_find_cell_leaves_a_single_cell_whole():
    cell_mask = disc((90, 91), 32)
    rgb = smear([cell_mask], [disc((82, 91), 10), disc((100, 91), 10)])
    cell, features = find_cell(rgb, cell_mask)
    assert np.array_equal(cell, cell_mask)
    assert features.single_cell and features.other_cells == 0


def test_an_empty_mask_has_no_cell():
    cell, features = find_cell(smear([], []), np.zeros(SHAPE, bool))
    assert not cell.any() and not features.cell_found and not features.single_cell
