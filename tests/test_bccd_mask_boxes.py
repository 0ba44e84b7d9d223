"""The BCCD box check cuts each annotated cell out where the box says, and boxes a mask exactly."""

import numpy as np

from bcds_core.field.analysis import FieldReading
from bcds_core.pixel_size import ESTIMATED, REFERENCE_PIXEL_UM, PixelSize
from bcds_core.preprocessing import CANVAS_ORIGINAL_SIDE
from scripts.bccd_mask_boxes import cut_out, mask_box


def test_the_cut_out_square_shows_the_boxed_pixels_where_the_moved_box_says():
    field = np.full((600, 800, 3), 230, np.uint8)
    field[100:180, 650:760] = (120, 60, 160)
    reading = FieldReading(
        field, PixelSize(REFERENCE_PIXEL_UM, ESTIMATED), 1.0, 1.0, (600, 800), (230, 230, 230)
    )
    canvas, (x0, y0, x1, y1) = cut_out(reading, (650.0, 100.0, 760.0, 180.0))
    assert canvas.shape[:2] == (CANVAS_ORIGINAL_SIDE, CANVAS_ORIGINAL_SIDE)
    assert (canvas[int(y0) : int(y1), int(x0) : int(x1)] == (120, 60, 160)).all()
    assert (
        abs((x0 + x1) / 2 - CANVAS_ORIGINAL_SIDE // 2) <= 1
        and abs((y0 + y1) / 2 - CANVAS_ORIGINAL_SIDE // 2) <= 1
    )
    outside = canvas.copy()
    outside[int(y0) : int(y1), int(x0) : int(x1)] = 230
    assert (outside == 230).all()


def test_a_mask_is_boxed_exactly_and_an_empty_one_not_at_all():
    mask = np.zeros((50, 60), bool)
    mask[10:21, 30:45] = True
    assert mask_box(mask) == (30, 10, 45, 21)
    assert mask_box(np.zeros((5, 5), bool)) is None
