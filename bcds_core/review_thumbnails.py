"""Thumbnails of misclassified cells for the review page, so it works without the dataset.

For every error: the cell with its U-Net mask outline and the Grad-CAM of the
predicted class, as small JPEGs named after the image's path.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bcds_core.explain import explain_cell, target_named
from bcds_core.overlays import heat_overlay, outline, thumbnail

#: Longer side of each error thumbnail on the review page, pixels.
ERROR_THUMBNAIL_SIDE = 160


def thumbnail_names(path: str) -> tuple[str, str]:
    """File names (cell with mask, Grad-CAM) of the thumbnails of a dataset path."""
    stem = path.replace("/", "__").rsplit(".", 1)[0]
    return f"{stem}__mask.jpg", f"{stem}__gradcam.jpg"


def write_error_thumbnails(analyzer, items, out_dir: Path) -> int:
    """Write both thumbnails for each misclassified item; returns how many cells.

    Thumbnails from an earlier evaluation are removed first: a cell that a newer
    model gets right must not linger in the review.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.jpg"):
        stale.unlink()
    written = 0
    for item in items:
        result = item.result
        if not item.wrong or result.cell is None or result.label is None:
            continue
        heat = explain_cell(analyzer, result.cell, "gradcam", target_named(result.label)).image_heat
        mask_name, cam_name = thumbnail_names(item.path)
        for name, picture in (
            (mask_name, outline(result.rgb, result.mask)),
            (cam_name, heat_overlay(result.rgb, heat, result.mask)),
        ):
            Image.fromarray(thumbnail(picture, ERROR_THUMBNAIL_SIDE)).save(out_dir / name, quality=85)
        written += 1
    return written
