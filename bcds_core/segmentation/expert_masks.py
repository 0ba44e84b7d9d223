"""The expert whole-cell masks: reading them and their fixed train/held-out split.

The 50 expert masks are the only human masks we have. A fixed 15 of them are
never trained on (chosen by a hash of the file name, so the choice does not
depend on file order), and every mask metric we report is on those 15.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bcds_core.image_io import ImageDecodeError, decode_image, read_bytes

N_HELD_OUT = 15


@dataclass
class MaskedImage:
    """An RGB uint8 image with its boolean whole-cell mask, both HxW."""

    name: str
    rgb: np.ndarray
    mask: np.ndarray


def read_mask_folder(root: Path) -> list[MaskedImage]:
    """Pairs ``images/NAME.png`` with ``masks/NAME.png`` (mask > 0 is the cell).

    Raises:
        ValueError: an image or mask cannot be decoded, or a mask is not the size of its image
            (the message names the file: a mask metric must not quietly leave a pair out).
    """
    pairs = []
    for mask_path in sorted((root / "masks").glob("*.png")):
        image_path = root / "images" / mask_path.name
        if not image_path.exists():
            continue
        try:
            rgb = decode_image(read_bytes(image_path)).rgb
            mask = decode_image(read_bytes(mask_path)).rgb[..., 0] > 0
        except ImageDecodeError as error:
            raise ValueError(f"{mask_path.name}: {error}") from error
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"{mask_path.name}: the mask is {mask.shape}, its image {rgb.shape[:2]}")
        pairs.append(MaskedImage(mask_path.stem, rgb, mask))
    return pairs


def held_out_names(names: list[str]) -> set[str]:
    """The expert masks kept out of training."""
    ranked = sorted(names, key=lambda n: hashlib.sha256(f"bcds-masks:{n}".encode()).hexdigest())
    return set(ranked[:N_HELD_OUT])
