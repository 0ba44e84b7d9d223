"""Slide white balance: a cast of lamp, camera or slide glass must not move the U-Net's mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.preprocessing import slide_colour
from bcds_core.segmentation.mask_overlap import mask_overlap
from bcds_core.segmentation.masker import CellMasker
from bcds_core.slide_balance import GAIN_LIMITS, REFERENCE_SLIDE_RGB, balanced_to_slide, slide_gains
from scripts.mask_robustness import cast

WARM_LAMP = (0.9, 0.8, 0.6)


def test_a_cast_slide_is_moved_to_the_reference_and_the_cell_by_the_same_gains(cell_rgb):
    lamp_lit = cast(cell_rgb, WARM_LAMP)
    balanced = balanced_to_slide(lamp_lit)
    assert np.abs(np.subtract(slide_colour(balanced), REFERENCE_SLIDE_RGB)).max() <= 2
    gains = slide_gains(lamp_lit)
    np.testing.assert_allclose(balanced[181, 180], np.clip(lamp_lit[181, 180] * gains, 0, 255), atol=1)


def test_an_image_on_the_reference_slide_is_left_as_it_is(cell_rgb):
    image = cell_rgb.copy()
    image[cell_rgb[..., 0] == 250] = REFERENCE_SLIDE_RGB
    np.testing.assert_array_equal(balanced_to_slide(image), image)


def test_a_black_image_is_not_blown_up():
    black = np.zeros((50, 50, 3), np.uint8)
    assert slide_gains(black).max() == GAIN_LIMITS[1]
    np.testing.assert_array_equal(balanced_to_slide(black), black)


@pytest.fixture(scope="module")
def masker() -> CellMasker:
    return CellMasker(WEIGHTS_DIR / "unet")


def test_the_released_unet_masks_a_warm_lamp_copy_of_every_sample_as_the_original(masker, sample_paths):
    """Read as they came, a warm-lamp copy lost half of a band neutrophil's mask (IoU 0.45)."""
    assert masker.config["slide_rgb"] == list(REFERENCE_SLIDE_RGB)
    for path in sample_paths:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        original, warm = (
            torch.from_numpy(masker.cell_mask(image))[None] for image in (rgb, cast(rgb, WARM_LAMP))
        )
        iou, _ = mask_overlap(warm, original)
        assert float(iou[0]) >= 0.98, path.name
