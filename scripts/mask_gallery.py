"""Draw the U-Net masks of hard PBC test images (off-centre, several cells) into docs/.

Usage: .venv/bin/python -m scripts.mask_gallery  (needs the dataset and weights/unet)
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from bcds_core.image_io import decode_image, read_bytes
from bcds_core.overlays import outline, thumbnail
from bcds_core.paths import DATASET_DIR, REPO_ROOT, WEIGHTS_DIR, pbc_root
from bcds_core.preprocessing import to_working_scale
from bcds_core.segmentation.derived_masks import derive_cell_mask
from bcds_core.segmentation.mask_features import find_cell
from bcds_core.segmentation.masker import CellMasker
from bcds_core.splits import read_split_csv

TILE = 200


def hardest(rows, count: int = 12) -> list:
    """Test images whose cell is farthest off-centre or that show other whole cells."""
    scored = []
    for row in rows[::3]:
        working = to_working_scale(decode_image(read_bytes(pbc_root() / row.path)).rgb)
        mask = derive_cell_mask(working)
        if mask is None:
            continue
        ys, xs = np.nonzero(mask)
        offset = np.hypot(xs.mean() - working.shape[1] / 2, ys.mean() - working.shape[0] / 2)
        scored.append((offset + 100 * find_cell(working, mask)[1].other_cells, row))
    return [row for _, row in sorted(scored, key=lambda s: -s[0])[:count]]


def main() -> None:
    rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    masker = CellMasker(WEIGHTS_DIR / "unet")
    tiles = []
    for row in hardest(rows):
        rgb = decode_image(read_bytes(pbc_root() / row.path)).rgb
        tile = thumbnail(outline(rgb, masker.cell_mask(rgb), thickness=3), TILE)
        canvas = np.full((TILE, TILE, 3), 255, np.uint8)
        canvas[: tile.shape[0], : tile.shape[1]] = tile
        tiles.append(canvas)
    grid = np.concatenate([np.concatenate(tiles[i : i + 4], 1) for i in range(0, len(tiles), 4)], 0)
    Image.fromarray(grid).save(REPO_ROOT / "docs" / "mask_gallery.png")


if __name__ == "__main__":
    main()
