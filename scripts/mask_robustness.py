"""How well do U-Net releases keep their masks when the stain, focus or pixel size moves?

The expert masks of other microscopes are held back from the project, so this
script shifts the 15 expert images no U-Net trained on, in fixed, repeatable
ways that imitate other labs (pale or dark stains, soft focus, a coarser
camera, a higher magnification, a tinted lamp or slide, a tight 120 px crop),
and scores each release's mask against the expert's mask moved the same way
(IoU and Dice from smp.metrics, ``mask_overlap``). A release that balances
images to a slide colour (``slide_rgb``) is scored twice: as released, and
reading the images as they came.

    .venv/bin/python -m scripts.mask_robustness weights/unet --out reports/mask_robustness.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage.color import hed2rgb, rgb2hed

from bcds_core.paths import expert_masks_root
from bcds_core.segmentation.expert_masks import held_out_names, read_mask_folder
from bcds_core.segmentation.mask_overlap import mask_overlap
from bcds_core.segmentation.masker import CellMasker


def stain(rgb: np.ndarray, haematoxylin: float, eosin: float) -> np.ndarray:
    """Scale the haematoxylin and eosin densities (Ruifrok-Johnston vectors, scikit-image)."""
    hed = rgb2hed(rgb)
    hed[..., 0] *= haematoxylin
    hed[..., 1] *= eosin
    return (np.clip(hed2rgb(hed), 0, 1) * 255).astype(np.uint8)


def coarser(rgb: np.ndarray, factor: float) -> np.ndarray:
    """A camera with ``factor`` times fewer pixels per side, shown at the original size."""
    small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return cv2.resize(small, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR)


def zoomed(array: np.ndarray, keep: float) -> np.ndarray:
    """The central ``keep`` share of each side, enlarged back to the original size (higher magnification)."""
    height, width = array.shape[:2]
    top, left = round(height * (1 - keep) / 2), round(width * (1 - keep) / 2)
    centre = array[top : height - top, left : width - left]
    interpolation = cv2.INTER_NEAREST if array.ndim == 2 else cv2.INTER_LINEAR
    return cv2.resize(centre, (width, height), interpolation=interpolation)


def cast(rgb: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """The whole image tinted by per-channel gains (lamp, camera or slide glass), saturating at 255."""
    return np.clip(rgb.astype(np.float32) * np.asarray(gains, np.float32), 0, 255).astype(np.uint8)


def tight_crop(rgb: np.ndarray, mask: np.ndarray, side: int = 120, margin: float = 1.2) -> tuple:
    """A ``side`` px square around the expert's cell, ``margin`` times its larger extent (reflected
    where that leaves the image): the tight crops of analysers that frame the white cell alone."""
    rows, cols = np.nonzero(mask)
    half = margin * max(np.ptp(rows), np.ptp(cols)) / 2
    top, left = round((rows.min() + rows.max()) / 2 - half), round((cols.min() + cols.max()) / 2 - half)
    extent = round(2 * half)
    pad = max(0, -top, -left, top + extent - rgb.shape[0], left + extent - rgb.shape[1])
    rgb = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    box = (slice(top + pad, top + pad + extent), slice(left + pad, left + pad + extent))
    return (
        cv2.resize(rgb[box], (side, side), interpolation=cv2.INTER_AREA),
        cv2.resize(mask[box], (side, side), interpolation=cv2.INTER_NEAREST),
    )


#: Gains of a yellowish slide glass or lamp (the issue's other microscope shows such a slide).
YELLOWISH = (1.0, 0.93, 0.78)

#: name -> shift of (image, mask): both moved the same way.
SHIFTS = {
    "none": lambda rgb, mask: (rgb, mask),
    "pale stain (eosin x0.4)": lambda rgb, mask: (stain(rgb, 1.0, 0.4), mask),
    "dark stain (haematoxylin x1.5, eosin x1.5)": lambda rgb, mask: (stain(rgb, 1.5, 1.5), mask),
    "blue stain (haematoxylin x1.4, eosin x0.6)": lambda rgb, mask: (stain(rgb, 1.4, 0.6), mask),
    "soft focus (blur sigma 3 px)": lambda rgb, mask: (cv2.GaussianBlur(rgb, (0, 0), 3), mask),
    "coarse camera (1/3 of the pixels per side)": lambda rgb, mask: (coarser(rgb, 1 / 3), mask),
    "higher magnification (x1.4)": lambda rgb, mask: (zoomed(rgb, 1 / 1.4), zoomed(mask, 1 / 1.4)),
    "yellowish slide (green x0.93, blue x0.78)": lambda rgb, mask: (cast(rgb, YELLOWISH), mask),
    "warm lamp (red x0.9, green x0.8, blue x0.6)": lambda rgb, mask: (cast(rgb, (0.9, 0.8, 0.6)), mask),
    "cool lamp (red x0.8, green x0.9)": lambda rgb, mask: (cast(rgb, (0.8, 0.9, 1.0)), mask),
    "tight 120 px crop": lambda rgb, mask: tight_crop(rgb, mask),
    "tight 120 px crop, yellowish slide": lambda rgb, mask: tight_crop(cast(rgb, YELLOWISH), mask),
}


def scores(masker: CellMasker, pairs) -> dict[str, dict[str, float]]:
    """Mean IoU and Dice of the masker's cell mask under each shift (images may change size)."""
    out = {}
    for name, shift in SHIFTS.items():
        ious, dices = [], []
        for pair in pairs:
            rgb, mask = shift(pair.rgb, pair.mask.astype(np.uint8))
            iou, dice = mask_overlap(
                torch.from_numpy(masker.cell_mask(rgb))[None], torch.from_numpy(mask > 0)[None]
            )
            ious.append(float(iou[0]))
            dices.append(float(dice[0]))
        out[name] = {"iou": round(float(np.mean(ious)), 4), "dice": round(float(np.mean(dices)), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", nargs="+", help="U-Net release folders")
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    pairs = read_mask_folder(expert_masks_root())
    held_out = held_out_names([p.name for p in pairs])
    pairs = [p for p in pairs if p.name in held_out]
    report = {"images": sorted(held_out), "releases": {}}
    for release in args.releases:
        masker = CellMasker(Path(release))
        name = Path(release).as_posix()
        report["releases"][name] = {"sha256": masker.config["weights_sha256"], **scores(masker, pairs)}
        if masker.config.pop("slide_rgb", None) is not None:
            report["releases"][f"{name}, images as they came"] = scores(masker, pairs)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
