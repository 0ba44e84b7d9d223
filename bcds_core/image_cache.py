"""Pre-decoded uint8 image cache at one scale, memory-mapped.

Decoding 15k JPEGs every epoch would cost more CPU than the network on 2 cores.
The cache holds, per image of the split CSV (same order): the image at the
cache's scale centred on a square canvas (``canvas_side``) and its derived cell
mask. The mask is always derived at the working scale, where the U-Net masks at
inference, and resized, so a finer cache differs only in the pixels it keeps.
It is built once per scale into the git-ignored cache folder and read with
``np.load(mmap_mode="r")``.

A cache may also hold the released U-Net's masks of the same images
(``add_unet_masks``): the masks the product classifies through. Training on
them removes the difference between the masks a model learned on and the
masks it is shown; the U-Net's hash and the version of the rule that cuts its
mask to the cell are kept beside them, so either changing makes them stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from bcds_core.image_io import decode_image, read_bytes
from bcds_core.paths import CACHE_DIR, WEIGHTS_DIR
from bcds_core.preprocessing import (
    WORKING_SCALE,
    background_colour,
    canvas_side,
    cell_at_scale,
    pad_or_crop_centre,
    resize_mask,
    scaled_shape,
    to_working_scale,
)
from bcds_core.segmentation.derived_masks import derive_cell_mask
from bcds_core.segmentation.mask_features import find_cell
from bcds_core.segmentation.masker import CellMasker
from bcds_core.splits import SplitRow
from bcds_core.weights_io import read_config

CACHE_VERSION = 2
UNET_MASKS_FILE = "unet_masks.npy"
UNET_FOUND_FILE = "unet_mask_found.npy"
UNET_META_FILE = "unet_masks.json"
#: How the U-Net's masks are cut to the cell (2: touching cells split, ``find_cell``).
UNET_MASKS_VERSION = 2


@dataclass
class ImageCache:
    """Memory-mapped arrays of a built cache.

    Attributes:
        scale: pixels per original pixel.
        images: N x S x S x 3 uint8 RGB at ``scale``.
        masks: N x S x S uint8, 1 inside the cell mask of the source opened.
        mask_found: N bool, False where the source found no cell.
        rows: the split rows, in array order.
        source: N names of the training source of each row (``open_sources``), or None.
    """

    scale: float
    images: np.ndarray
    masks: np.ndarray
    mask_found: np.ndarray
    rows: list[SplitRow]
    source: np.ndarray | None = None


def cache_dir(scale: float, source: str = "pbc") -> Path:
    """The git-ignored folder of a source's cache at ``scale`` (``pbc_scale50`` at the working scale)."""
    return CACHE_DIR / f"{source}_scale{round(scale * 100)}"


def _prepare(path: Path, scale: float, derived_masks: bool = True) -> tuple[np.ndarray, np.ndarray, bool]:
    rgb = decode_image(read_bytes(path)).rgb
    working = to_working_scale(rgb)
    mask = derive_cell_mask(working) if derived_masks else None
    found = mask is not None
    scaled, mask = cell_at_scale(
        rgb, working, np.zeros(working.shape[:2], bool) if mask is None else mask, scale
    )
    side = canvas_side(scale)
    canvas = pad_or_crop_centre(scaled, side, fill=background_colour(scaled))
    return canvas, pad_or_crop_centre(mask.astype(np.uint8), side), found


def build_cache(
    rows: list[SplitRow],
    image_root: Path,
    out_dir: Path,
    scale: float = WORKING_SCALE,
    workers: int = 2,
    derived_masks: bool = True,
) -> None:
    """Decode, rescale and mask every row's image into ``out_dir``.

    Deriving a mask from colour costs 50 times the decoding; a cache that will
    train on the U-Net's masks (``add_unet_masks``) can skip it (``derived_masks=False``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    n, side = len(rows), canvas_side(scale)
    images = np.lib.format.open_memmap(out_dir / "images.npy", "w+", np.uint8, (n, side, side, 3))
    masks = np.lib.format.open_memmap(out_dir / "masks.npy", "w+", np.uint8, (n, side, side))
    found = np.zeros(n, bool)
    paths = [image_root / row.path for row in rows]
    with Pool(workers) as pool:
        prepare = partial(_prepare, scale=scale, derived_masks=derived_masks)
        for i, (image, mask, ok) in enumerate(pool.imap(prepare, paths, chunksize=32)):
            images[i], masks[i], found[i] = image, mask, ok
            if i % 1000 == 0:
                print(f"cached {i}/{n}", flush=True)
    images.flush()
    masks.flush()
    np.save(out_dir / "mask_found.npy", found)
    meta = {
        "version": CACHE_VERSION,
        "scale": scale,
        "n": n,
        "derived_masks": derived_masks,
        "paths": [row.path for row in rows],
    }
    (out_dir / "meta.json").write_text(json.dumps(meta))


def _working_and_scaled_shape(path: Path, scale: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The working-scale image for the U-Net, and the shape its mask is resized to, as ``prepare`` does."""
    rgb = decode_image(read_bytes(path)).rgb
    return to_working_scale(rgb), scaled_shape(*rgb.shape[:2], scale)


def add_unet_masks(
    rows: list[SplitRow],
    image_root: Path,
    out_dir: Path,
    unet_dir: Path,
    workers: int = 2,
    batch_size: int = 64,
) -> None:
    """Mask every row's image with the released U-Net, as the product does, into a built cache.

    Each mask is the U-Net's cell (``find_cell``) at the working scale, resized to the
    cache's scale and centred like the cached image (``CellAnalyzer.prepare``).
    """
    scale = checked_meta(out_dir, rows)["scale"]
    n, side = len(rows), canvas_side(scale)
    masks = np.lib.format.open_memmap(out_dir / UNET_MASKS_FILE, "w+", np.uint8, (n, side, side))
    found = np.zeros(n, bool)
    paths = [image_root / row.path for row in rows]
    with Pool(workers) as pool:
        masker = CellMasker(unet_dir)
        decoded = pool.imap(partial(_working_and_scaled_shape, scale=scale), paths, chunksize=32)
        for start in range(0, n, batch_size):
            chunk = [next(decoded) for _ in range(min(batch_size, n - start))]
            for offset, ((working, shape), mask) in enumerate(
                zip(chunk, masker.masks([working for working, _ in chunk]), strict=True)
            ):
                main = resize_mask(find_cell(working, mask)[0], *shape)
                masks[start + offset] = pad_or_crop_centre(main.astype(np.uint8), side)
                found[start + offset] = main.any()
            if start % 1024 == 0:
                print(f"U-Net masked {start}/{n}", flush=True)
    masks.flush()
    np.save(out_dir / UNET_FOUND_FILE, found)
    (out_dir / UNET_META_FILE).write_text(
        json.dumps({**_masker_identity(unet_dir), "version": UNET_MASKS_VERSION})
    )


def checked_meta(out_dir: Path, rows: list[SplitRow]) -> dict:
    """The description of a built cache, checked to hold ``rows`` in order at the current version."""
    meta_path = out_dir / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"No image cache in {out_dir}; build it first.")
    meta = json.loads(meta_path.read_text())
    if meta["version"] != CACHE_VERSION or meta["paths"] != [row.path for row in rows]:
        raise ValueError(f"The cache in {out_dir} is stale; rebuild it.")
    return meta


def open_cache(
    out_dir: Path, rows: list[SplitRow], mask_source: str = "derived", unet_dir: Path = WEIGHTS_DIR / "unet"
) -> ImageCache:
    """Open a built cache and check that it matches ``rows`` (and, for U-Net masks, the U-Net in ``unet_dir``)."""
    meta = checked_meta(out_dir, rows)
    if mask_source == "unet":
        masks, found = _unet_masks(out_dir, unet_dir)
    elif not meta.get("derived_masks", True):
        raise ValueError(f"The cache in {out_dir} was built without derived masks; rebuild it with them.")
    else:
        masks, found = np.load(out_dir / "masks.npy", mmap_mode="r"), np.load(out_dir / "mask_found.npy")
    return ImageCache(
        scale=meta["scale"],
        images=np.load(out_dir / "images.npy", mmap_mode="r"),
        masks=masks,
        mask_found=found,
        rows=rows,
    )


def _masker_identity(unet_dir: Path) -> dict:
    """What decides a U-Net's masks besides the cut to the cell: its weights, and what its config may
    change under the same weights (the slide colour it balances images to, added after release; the
    flip views it averages, chosen after the first release; the threshold), so that the weights' hash
    alone cannot let masks made one way pass for masks made another."""
    config = read_config(unet_dir)
    return {
        "unet_sha256": config["weights_sha256"],
        "slide_rgb": config.get("slide_rgb"),
        "tta_views": int(config.get("tta_views", 1)),
        "threshold": config["threshold"],
    }


def _unet_masks(out_dir: Path, unet_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    meta_path = out_dir / UNET_META_FILE
    if not meta_path.exists():
        raise FileNotFoundError(f"No U-Net masks in {out_dir}; run build-cache --unet-masks first.")
    meta = json.loads(meta_path.read_text())
    masker = _masker_identity(unet_dir)
    if meta["unet_sha256"] != masker["unet_sha256"]:
        raise ValueError(f"The U-Net masks in {out_dir} come from another U-Net; rebuild them.")
    if any(meta.get(key, "unrecorded") != masker[key] for key in ("slide_rgb", "tta_views", "threshold")):
        raise ValueError(
            f"The U-Net masks in {out_dir} were made with another slide balance, flip views or threshold, "
            "or before the cache recorded them; rebuild them."
        )
    if meta.get("version", 1) != UNET_MASKS_VERSION:
        raise ValueError(f"The U-Net masks in {out_dir} were cut to the cell by an older rule; rebuild them.")
    return np.load(out_dir / UNET_MASKS_FILE, mmap_mode="r"), np.load(out_dir / UNET_FOUND_FILE)


class StackedArrays:
    """Several memory-mapped arrays read as one along the first axis, without copying them.

    Only the rows asked for are read, so caches of several sources can train
    together in the memory of one batch.
    """

    def __init__(self, parts: list[np.ndarray]):
        self.parts = parts
        self.offsets = np.cumsum([0] + [len(p) for p in parts])
        self.shape = (int(self.offsets[-1]), *parts[0].shape[1:])
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if np.isscalar(index):
            part = int(np.searchsorted(self.offsets, index, side="right")) - 1
            return self.parts[part][index - self.offsets[part]]
        index = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index)
        out = np.empty((len(index), *self.shape[1:]), self.dtype)
        which = np.searchsorted(self.offsets, index, side="right") - 1
        for part, array in enumerate(self.parts):
            chosen = which == part
            if chosen.any():
                out[chosen] = array[index[chosen] - self.offsets[part]]
        return out


def open_sources(
    sources: list[str], scale: float, mask_source: str = "derived", unet_dir: Path = WEIGHTS_DIR / "unet"
) -> ImageCache:
    """The caches of several training sources at ``scale``, read as one (rows in source order)."""
    from bcds_core.splits import read_split_csv
    from bcds_core.training_sources import training_source

    caches = []
    for name in sources:
        rows = read_split_csv(training_source(name).split_csv)
        caches.append(open_cache(cache_dir(scale, name), rows, mask_source, unet_dir))
    source = np.concatenate([np.full(len(c.rows), name) for name, c in zip(sources, caches, strict=True)])
    if len(caches) == 1:
        return replace(caches[0], source=source)
    return ImageCache(
        scale=caches[0].scale,
        images=StackedArrays([c.images for c in caches]),
        masks=StackedArrays([c.masks for c in caches]),
        mask_found=np.concatenate([c.mask_found for c in caches]),
        rows=[row for c in caches for row in c.rows],
        source=source,
    )
