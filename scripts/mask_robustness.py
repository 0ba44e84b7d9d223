"""How well do U-Net releases keep their masks when the stain, focus or pixel size moves?

The expert masks of other microscopes are held back from the project, so this
script shifts the 15 expert images no U-Net trained on, in fixed, repeatable
ways that imitate other labs (pale or dark stains, soft focus, a coarser
camera, a higher magnification), and scores each release's mask against the
expert's mask moved the same way (IoU and Dice from smp.metrics, ``mask_overlap``).

    .venv/bin/python -m scripts.mask_robustness weights/unet runs/unet_v2_shipped --out reports/mask_robustness.json
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


#: name -> (image shift, mask shift).
SHIFTS = {
    "none": (lambda rgb: rgb, lambda mask: mask),
    "pale stain (eosin x0.4)": (lambda rgb: stain(rgb, 1.0, 0.4), lambda mask: mask),
    "dark stain (haematoxylin x1.5, eosin x1.5)": (lambda rgb: stain(rgb, 1.5, 1.5), lambda mask: mask),
    "blue stain (haematoxylin x1.4, eosin x0.6)": (lambda rgb: stain(rgb, 1.4, 0.6), lambda mask: mask),
    "soft focus (blur sigma 3 px)": (lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 3), lambda mask: mask),
    "coarse camera (1/3 of the pixels per side)": (lambda rgb: coarser(rgb, 1 / 3), lambda mask: mask),
    "higher magnification (x1.4)": (lambda rgb: zoomed(rgb, 1 / 1.4), lambda mask: zoomed(mask, 1 / 1.4)),
}


def scores(masker: CellMasker, pairs) -> dict[str, dict[str, float]]:
    """Mean IoU and Dice of the masker's cell mask under each shift."""
    out = {}
    for name, (shift_image, shift_mask) in SHIFTS.items():
        predicted = torch.from_numpy(np.stack([masker.cell_mask(shift_image(p.rgb)) for p in pairs]))
        truth = torch.from_numpy(np.stack([shift_mask(p.mask.astype(np.uint8)) > 0 for p in pairs]))
        iou, dice = mask_overlap(predicted, truth)
        out[name] = {"iou": round(float(iou.mean()), 4), "dice": round(float(dice.mean()), 4)}
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
        report["releases"][Path(release).as_posix()] = {
            "sha256": masker.config["weights_sha256"],
            **scores(masker, pairs),
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
