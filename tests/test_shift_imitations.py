"""The imitated shifts of another microscope (scripts.mask_robustness) move image and mask alike."""

from __future__ import annotations

import numpy as np

from scripts.mask_robustness import YELLOWISH, cast, tight_crop


def disc_image(centre=(150, 150), radius=40, side=300) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[:side, :side]
    mask = (np.hypot(rows - centre[0], cols - centre[1]) < radius).astype(np.uint8)
    rgb = np.full((side, side, 3), (255, 230, 202), np.uint8)
    rgb[mask > 0] = (120, 80, 160)
    return rgb, mask


def test_a_tight_crop_frames_the_cell_at_the_margin_asked_and_keeps_image_and_mask_aligned():
    rgb, mask = disc_image()
    crop, crop_mask = tight_crop(rgb, mask, side=120, margin=1.2)
    assert crop.shape == (120, 120, 3) and crop_mask.shape == (120, 120)
    rows, cols = np.nonzero(crop_mask)
    assert abs((cols.max() - cols.min() + 1) / 120 - 1 / 1.2) < 0.03
    inside = crop[crop_mask > 0]
    assert (inside[:, 2] > inside[:, 1]).mean() > 0.95  # the purple cell lies under its mask


def test_a_cell_near_the_border_is_cropped_with_reflected_surroundings():
    rgb, mask = disc_image(centre=(45, 150))
    crop, crop_mask = tight_crop(rgb, mask, margin=1.6)
    assert crop.shape == (120, 120, 3)
    assert crop_mask[60, 60] == 1


def test_a_cast_tints_every_pixel_by_its_gains_and_saturates():
    rgb = np.array([[[255, 200, 100]]], np.uint8)
    np.testing.assert_array_equal(cast(rgb, YELLOWISH), [[[255, 186, 78]]])
    np.testing.assert_array_equal(cast(rgb, (2.0, 1.0, 1.0))[..., 0], [[255]])


def test_two_releases_masking_alike_agree_and_a_stricter_one_does_not(sample_paths):
    """scripts.mask_agreement: the shipped U-Net agrees with itself; read at a far higher threshold
    its masks shrink, and the agreement falls."""
    from bcds_core.paths import WEIGHTS_DIR
    from bcds_core.segmentation.masker import CellMasker
    from scripts.mask_agreement import agreement

    shipped, stricter = CellMasker(WEIGHTS_DIR / "unet"), CellMasker(WEIGHTS_DIR / "unet")
    stricter.config = {**stricter.config, "threshold": 0.995}
    paths = sample_paths[:4]
    assert agreement(shipped, shipped, paths)["mean_iou"] == 1.0
    assert agreement(shipped, stricter, paths)["mean_iou"] < 0.97
