"""The pixel size: given, read from red cells, or assumed; and the image read at the reference."""

import cv2
import numpy as np
import pytest

from bcds_core.pixel_size import (
    ASSUMED,
    ESTIMATED,
    GIVEN,
    RED_CELL_DIAMETER_UM,
    REFERENCE_PIXEL_UM,
    REFERENCE_RED_CELL_PX,
    cellavision_frame,
    estimate_pixel_size,
    red_cell_diameter,
    tight_crop_pixel_size,
)


def smear(side: int, red_cell_px: float, seed: int = 0) -> np.ndarray:
    """A synthetic smear: pale slide, pink red cells with a paler centre, spread without overlap."""
    rng = np.random.default_rng(seed)
    image = np.full((side, side, 3), (238, 226, 214), np.uint8)
    radius = red_cell_px / 2
    step = int(red_cell_px * 1.25)
    for y in range(step // 2, side - step // 2, step):
        for x in range(step // 2, side - step // 2, step):
            cx, cy = x + rng.integers(-3, 4), y + rng.integers(-3, 4)
            cv2.circle(image, (int(cx), int(cy)), int(radius), (205, 140, 150), -1)
            cv2.circle(image, (int(cx), int(cy)), int(radius * 0.4), (215, 165, 170), -1)
    return cv2.GaussianBlur(image, (0, 0), 1.0)


@pytest.mark.parametrize("diameter", [40, 71, 110])
def test_red_cells_measure_the_pixel_size(diameter):
    found = red_cell_diameter(smear(720, diameter))
    assert found == pytest.approx(diameter, rel=0.15)


def test_a_smear_at_another_pixel_size_is_read_at_the_reference():
    size = estimate_pixel_size(smear(720, 110))
    assert size.source == ESTIMATED
    assert size.um == pytest.approx(RED_CELL_DIAMETER_UM / 110, rel=0.15)
    assert size.scale_to_reference == pytest.approx(REFERENCE_RED_CELL_PX / 110, rel=0.15)


def test_near_the_reference_the_reference_is_used():
    size = estimate_pixel_size(smear(400, REFERENCE_RED_CELL_PX * 1.05))
    assert size.source == ESTIMATED and size.um == REFERENCE_PIXEL_UM


def test_a_given_pixel_size_wins_and_no_ruler_means_assumed():
    assert estimate_pixel_size(smear(400, 80), given_um=0.2) == estimate_pixel_size(
        np.zeros((9, 9, 3), np.uint8), 0.2
    )
    assert estimate_pixel_size(smear(400, 80), given_um=0.2).source == GIVEN
    blank = np.full((300, 300, 3), 230, np.uint8)
    assert estimate_pixel_size(blank).source == ASSUMED
    assert estimate_pixel_size(blank).um == REFERENCE_PIXEL_UM


def test_a_tight_crop_spans_a_white_cell():
    size = tight_crop_pixel_size(150, 120)
    assert size.tight_crop and size.source == ASSUMED
    assert size.um * 120 == pytest.approx(15.0)


@pytest.mark.parametrize("height, width", [(363, 360), (369, 366), (360, 360), (365, 360), (363, 512)])
def test_cellavision_frames_found_an_assumed_pixel_size(height, width):
    assert cellavision_frame(height, width)
    assert not estimate_pixel_size(np.full((height, width, 3), 230, np.uint8)).unfounded


@pytest.mark.parametrize("height, width", [(300, 300), (120, 120), (480, 640), (4000, 6000), (363, 900)])
def test_other_frames_leave_an_assumed_pixel_size_unfounded(height, width):
    assert not cellavision_frame(height, width)
    assert estimate_pixel_size(np.full((60, 60, 3), 230, np.uint8), file_shape=(height, width)).unfounded


@pytest.mark.parametrize("given_um, red_cells", [(0.1, False), (None, True), (None, False)])
def test_whatever_the_source_the_pixel_size_says_whether_the_upload_is_a_cellavision_frame(
    given_um, red_cells
):
    """The frame is the set-up bcds learned from, so it is known beside any source of the pixel size."""
    image = smear(400, 80) if red_cells else np.full((400, 400, 3), 230, np.uint8)
    framed = estimate_pixel_size(image, given_um, file_shape=(363, 360))
    other = estimate_pixel_size(image, given_um, file_shape=(300, 300))
    assert framed.source == other.source and framed.cellavision_frame and not other.cellavision_frame
