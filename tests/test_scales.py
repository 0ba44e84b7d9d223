"""The classifier's scale: caches and inference read a cell at any scale the same way."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from bcds_core.classifier.inputs import classifier_batch
from bcds_core.explain.base import CropPlacement, crop_to_image
from bcds_core.image_cache import UNET_MASKS_VERSION, UNET_META_FILE, add_unet_masks, build_cache, open_cache
from bcds_core.image_io import decode_image, read_bytes
from bcds_core.paths import SAMPLES_DIR, WEIGHTS_DIR
from bcds_core.preprocessing import WORKING_SCALE, canvas_side, scaled_pixels
from bcds_core.segmentation.mask_features import mask_centre
from bcds_core.splits import SplitRow
from bcds_core.training.train_classifier import RELEASE_MASK_DILATION

FINER = 0.75


def test_canvas_side_keeps_the_same_original_field():
    assert canvas_side(WORKING_SCALE) == 184
    assert canvas_side(FINER) == 276
    assert canvas_side(1.0) == 368


@pytest.mark.parametrize(
    ("working", "scale", "expected"), [(5, 0.5, 5), (1, 0.5, 1), (5, 0.75, 7), (9, 0.75, 13)]
)
def test_scaled_pixels_are_odd_and_proportional(working, scale, expected):
    assert scaled_pixels(working, scale) == expected


@pytest.fixture(scope="module")
def sample_rows(sample_paths) -> list[SplitRow]:
    paths = sample_paths[:3]
    rows = []
    for path in paths:
        height, width = decode_image(read_bytes(path)).rgb.shape[:2]
        relative = path.relative_to(SAMPLES_DIR).as_posix()
        rows.append(SplitRow(relative, path.parent.name, None, width, height, "0" * 64, "train"))
    return rows


def test_caches_at_two_scales_hold_the_same_cells(tmp_path, sample_rows):
    for scale in (WORKING_SCALE, FINER):
        build_cache(sample_rows, SAMPLES_DIR, tmp_path / str(scale), scale=scale, workers=1)
    coarse = open_cache(tmp_path / str(WORKING_SCALE), sample_rows)
    fine = open_cache(tmp_path / str(FINER), sample_rows)
    assert (coarse.scale, fine.scale) == (WORKING_SCALE, FINER)
    assert fine.images.shape == (3, 276, 276, 3) and fine.masks.shape == (3, 276, 276)
    assert coarse.mask_found.all() and (fine.mask_found == coarse.mask_found).all()
    area_ratio = fine.masks.reshape(3, -1).sum(1) / coarse.masks.reshape(3, -1).sum(1)
    np.testing.assert_allclose(area_ratio, (FINER / WORKING_SCALE) ** 2, rtol=0.05)
    with pytest.raises(ValueError, match="stale"):
        open_cache(tmp_path / str(FINER), sample_rows[:2])


def analyzer_at(analyzer, scale: float):
    """The shipped analyzer reading cells at `scale` (the network is fully convolutional)."""
    at_scale = copy.copy(analyzer)
    at_scale.classifier_config = {
        **analyzer.classifier_config,
        "scale": scale,
        "input_side": round(256 * scale),
        "mask_dilation": scaled_pixels(RELEASE_MASK_DILATION, scale),
    }
    return at_scale


def test_a_finer_scale_crops_the_same_window_with_more_pixels(analyzer, sample_paths):
    rgb = decode_image(read_bytes(sample_paths[0])).rgb
    coarse_analyzer, fine_analyzer = analyzer_at(analyzer, WORKING_SCALE), analyzer_at(analyzer, FINER)
    coarse, fine = coarse_analyzer.prepare([rgb])[0], fine_analyzer.prepare([rgb])[0]
    assert fine.canvas.shape == (276, 276, 3) and fine.scale == FINER
    assert coarse.canvas.shape == (184, 184, 3) and coarse.scale == WORKING_SCALE
    np.testing.assert_allclose(
        np.array(fine.centre) / FINER, np.array(coarse.centre) / WORKING_SCALE, atol=2.5
    )
    assert fine_analyzer.classifier_input([fine]).shape == (1, 3, 192, 192)
    assert fine_analyzer.crop_mask(fine).shape == (192, 192)
    for cell, side in ((coarse, 128), (fine, 192)):
        covered = crop_to_image(np.ones((side, side), np.float32), CropPlacement.of(cell)) > 0
        rows, cols = np.flatnonzero(covered.any(1)), np.flatnonzero(covered.any(0))
        top_left = np.array([cols[0], rows[0]])
        expected = np.round(np.array(cell.centre) / cell.scale - 128).clip(0)
        np.testing.assert_allclose(top_left, expected, atol=1)


def test_unet_masks_in_a_cache_give_the_products_classifier_input(tmp_path, sample_rows, analyzer):
    scale = analyzer.classifier_config["scale"]
    build_cache(sample_rows, SAMPLES_DIR, tmp_path, scale=scale, workers=1)
    add_unet_masks(sample_rows, SAMPLES_DIR, tmp_path, WEIGHTS_DIR / "unet", workers=1)
    cache = open_cache(tmp_path, sample_rows, mask_source="unet")
    derived = open_cache(tmp_path, sample_rows)
    assert cache.mask_found.all() and not np.array_equal(cache.masks, derived.masks)
    centres = np.array([mask_centre(mask > 0) for mask in cache.masks], np.float32)
    from_cache = classifier_batch(cache.images[:], cache.masks[:], centres, analyzer.classifier_config)
    cells = analyzer.prepare([decode_image(read_bytes(SAMPLES_DIR / row.path)).rgb for row in sample_rows])
    from_product = analyzer.classifier_input(cells).cpu()
    assert from_cache.shape == from_product.shape
    # The crops differ by a sub-pixel shift of the centre; the masked-out pixels must agree.
    masked_out_differently = ((from_cache == 0) != (from_product == 0)).float().mean()
    assert masked_out_differently < 0.02
    # Masks cut to the cell by an older rule (before touching cells were split) are refused.
    meta = tmp_path / UNET_META_FILE
    recorded = json.loads(meta.read_text())
    meta.write_text(json.dumps({**recorded, "version": UNET_MASKS_VERSION - 1}))
    with pytest.raises(ValueError, match="older rule"):
        open_cache(tmp_path, sample_rows, mask_source="unet")
    # Masks of the same weights made without the slide balance their config names now, or before the
    # cache recorded it, are refused: phase 19 trained on such masks.
    for made_without in (
        {**recorded, "slide_rgb": None},
        {k: v for k, v in recorded.items() if k != "slide_rgb"},
    ):
        meta.write_text(json.dumps(made_without))
        with pytest.raises(ValueError, match="another slide balance"):
            open_cache(tmp_path, sample_rows, mask_source="unet")
