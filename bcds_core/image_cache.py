"""Pre-decoded uint8 image cache at the working scale, memory-mapped.

Decoding 15k JPEGs every epoch would cost more CPU than the network on 2 cores.
The cache holds, per image of the split CSV (same order): the working-scale
image centred on a ``CACHE_SIDE`` canvas and its derived cell mask. It is built
once into the git-ignored cache folder and read with ``np.load(mmap_mode="r")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from bcds_core.image_io import decode_image, read_bytes
from bcds_core.preprocessing import background_colour, pad_or_crop_centre, to_working_scale
from bcds_core.segmentation.derived_masks import derive_cell_mask
from bcds_core.splits import SplitRow

#: Side of each cached canvas, working pixels (368 original pixels).
CACHE_SIDE = 184
CACHE_VERSION = 1


@dataclass
class ImageCache:
    """Memory-mapped arrays of a built cache.

    Attributes:
        images: N x S x S x 3 uint8 RGB at working scale.
        masks: N x S x S uint8, 1 inside the derived cell mask.
        mask_found: N bool, False where no mask could be derived.
        rows: the split rows, in array order.
    """

    images: np.ndarray
    masks: np.ndarray
    mask_found: np.ndarray
    rows: list[SplitRow]


def _prepare(path: Path) -> tuple[np.ndarray, np.ndarray, bool]:
    rgb = to_working_scale(decode_image(read_bytes(path)).rgb)
    mask = derive_cell_mask(rgb)
    found = mask is not None
    mask = np.zeros(rgb.shape[:2], bool) if mask is None else mask
    canvas = pad_or_crop_centre(rgb, CACHE_SIDE, fill=background_colour(rgb))
    return canvas, pad_or_crop_centre(mask.astype(np.uint8), CACHE_SIDE), found


def build_cache(rows: list[SplitRow], image_root: Path, out_dir: Path, workers: int = 2) -> None:
    """Decode, rescale and mask every row's image into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = len(rows)
    images = np.lib.format.open_memmap(out_dir / "images.npy", "w+", np.uint8, (n, CACHE_SIDE, CACHE_SIDE, 3))
    masks = np.lib.format.open_memmap(out_dir / "masks.npy", "w+", np.uint8, (n, CACHE_SIDE, CACHE_SIDE))
    found = np.zeros(n, bool)
    paths = [image_root / row.path for row in rows]
    with Pool(workers) as pool:
        for i, (image, mask, ok) in enumerate(pool.imap(_prepare, paths, chunksize=32)):
            images[i], masks[i], found[i] = image, mask, ok
            if i % 1000 == 0:
                print(f"cached {i}/{n}", flush=True)
    images.flush()
    masks.flush()
    np.save(out_dir / "mask_found.npy", found)
    meta = {"version": CACHE_VERSION, "n": n, "paths": [row.path for row in rows]}
    (out_dir / "meta.json").write_text(json.dumps(meta))


def open_cache(out_dir: Path, rows: list[SplitRow]) -> ImageCache:
    """Open a built cache and check that it matches ``rows``."""
    meta_path = out_dir / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"No image cache in {out_dir}; build it first.")
    meta = json.loads(meta_path.read_text())
    if meta["version"] != CACHE_VERSION or meta["paths"] != [row.path for row in rows]:
        raise ValueError(f"The cache in {out_dir} is stale; rebuild it.")
    return ImageCache(
        images=np.load(out_dir / "images.npy", mmap_mode="r"),
        masks=np.load(out_dir / "masks.npy", mmap_mode="r"),
        mask_found=np.load(out_dir / "mask_found.npy"),
        rows=rows,
    )
