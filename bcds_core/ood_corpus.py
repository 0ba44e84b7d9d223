"""Images that are not a single blood cell, made from real data the models never saw.

- ``two_cells``: two test-split images side by side (two whole cells in view).
- ``smear_field``: four test-split images tiled 2x2 (a field with many cells).
- ``not_blood``: the natural and scientific photos that scikit-image ships.
Each should come back ``rejected`` or ``review``, never as a confident class.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from skimage import data as skimage_data

from bcds_core.image_io import decode_image, encode_png, read_bytes

NOT_BLOOD = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "camera",
    "coins",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "moon",
    "page",
    "text",
    "cat",
    "brick",
    "grass",
)


def _same_height(images: list[np.ndarray]) -> list[np.ndarray]:
    height = min(i.shape[0] for i in images)
    width = min(i.shape[1] for i in images)
    return [i[:height, :width] for i in images]


def ood_items(test_paths: list[Path], n_composites: int = 40) -> Iterator[tuple[str, str, bytes]]:
    """(kind, name, bytes) for every out-of-distribution image."""
    rgbs = [decode_image(read_bytes(p)).rgb for p in test_paths[: 4 * n_composites]]
    for i in range(min(n_composites, len(rgbs) // 2)):
        pair = _same_height(rgbs[2 * i : 2 * i + 2])
        yield "two_cells", f"two_cells_{i}.png", encode_png(np.concatenate(pair, axis=1))
    for i in range(min(n_composites // 2, len(rgbs) // 4)):
        four = _same_height(rgbs[4 * i : 4 * i + 4])
        field = np.concatenate([np.concatenate(four[:2], 1), np.concatenate(four[2:], 1)], 0)
        yield "smear_field", f"smear_field_{i}.png", encode_png(field)
    for name in NOT_BLOOD:
        loader = getattr(skimage_data, name, None)
        if loader is None:
            continue
        try:
            image = np.asarray(loader())
        except (OSError, ValueError):
            continue
        if image.dtype != np.uint8:
            image = (255 * (image - image.min()) / max(float(np.ptp(image)), 1e-9)).astype(np.uint8)
        yield "not_blood", f"{name}.png", encode_png(image)
