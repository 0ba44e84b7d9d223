"""The focus check: blurring lowers the measure steadily, and a soft cell is never answered ``ok``."""

import cv2
import numpy as np

from bcds_core.focus import MIN_SHARPNESS, in_focus, sharpness
from tests.conftest import encode


def _cell(analyzer, path):
    return analyzer.analyze_bytes([(path.name, path.read_bytes())])[0].cell


def test_blurring_a_cell_lowers_its_sharpness_below_the_check_while_the_samples_pass(analyzer, sample_paths):
    measured = []
    for path in sample_paths[::4]:
        cell = _cell(analyzer, path)
        assert in_focus(cell.canvas, cell.canvas_mask, cell.scale), path.name
        measured.append(
            [
                sharpness(
                    cv2.GaussianBlur(cell.canvas, (0, 0), sigma) if sigma else cell.canvas, cell.canvas_mask
                )
                for sigma in (0, 1.0, 1.5, 2.0)
            ]
        )
    measured = np.array(measured)
    assert (np.diff(measured, axis=1) < 0).all()  # every step of blur lowers it
    assert (measured[:, 0] >= MIN_SHARPNESS).all() and (measured[:, 3] < MIN_SHARPNESS).all()


def test_an_out_of_focus_upload_is_reviewed_with_the_reason(analyzer, sample_paths):
    from PIL import Image

    path = next(p for p in sample_paths if p.name.startswith("SNE"))
    sharp = analyzer.analyze_bytes([(path.name, path.read_bytes())])[0]
    soft = Image.fromarray(cv2.GaussianBlur(np.asarray(Image.open(path).convert("RGB")), (0, 0), 2.5))
    blurred = analyzer.analyze_bytes([("soft.png", encode(soft, "PNG"))])[0]
    assert "out of focus" not in sharp.message
    assert blurred.status == "review" and "out of focus" in blurred.message


def test_a_tiny_mask_is_not_judged():
    rgb = np.full((64, 64, 3), 200, np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[30:33, 30:33] = True
    assert sharpness(rgb, mask) is None and in_focus(rgb, mask)
