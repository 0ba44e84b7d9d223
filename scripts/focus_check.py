"""The focus check's measure (``bcds_core.focus``) on every source, sharp and blurred.

PBC and DeepAPL: training and validation cells of the scale-1.0 caches (the
product's canvas at the CellaVision pixel size, U-Net masks), as they are and
Gaussian-blurred (sigma 1, 1.5 and 2 px), which is how ``MIN_SHARPNESS`` was
chosen (training cells only). BCCD crops and the CellaVision-blog cells: through
the product, at the pixel size it reads them at. For each: percentiles of the
measure and the share the check calls out of focus.

Usage: .venv/bin/python -m scripts.focus_check [--per-source 800]  -> reports/focus_check.json
"""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from bcds_core.analysis import CellAnalyzer
from bcds_core.focus import MIN_SHARPNESS, sharpness
from bcds_core.image_cache import open_sources
from bcds_core.paths import REPORTS_DIR, data_root, expert_masks_root

BLURS = (1.0, 1.5, 2.0)
PERCENTILES = (0.5, 1, 5, 50, 95, 99)


def summary(values: list[float | None]) -> dict:
    measured = np.array([v for v in values if v is not None])
    return {
        "n": len(values),
        "percentiles": dict(
            zip(map(str, PERCENTILES), np.percentile(measured, PERCENTILES).round(4).tolist(), strict=True)
        ),
        "out_of_focus": float(np.mean(measured < MIN_SHARPNESS)),
    }


def cached_sources(per_source: int) -> dict:
    cache = open_sources(["pbc", "deepapl"], 1.0, "unet")
    split, source = np.array([r.split for r in cache.rows]), np.asarray(cache.source)
    rng = np.random.default_rng(0)
    found = {}
    for name in np.unique(source):
        for part in ("train", "val"):
            rows = np.flatnonzero((source == name) & (split == part) & cache.mask_found)
            rows = np.sort(rng.choice(rows, min(per_source, len(rows)), replace=False))
            images = [np.asarray(cache.images[i]) for i in rows]
            masks = [cache.masks[i] > 0 for i in rows]
            found[f"{name}_{part}"] = summary([sharpness(x, m) for x, m in zip(images, masks, strict=True)])
            for sigma in BLURS:
                blurred = [cv2.GaussianBlur(x, (0, 0), sigma) for x in images]
                found[f"{name}_{part}_blur_{sigma:g}"] = summary(
                    [sharpness(x, m) for x, m in zip(blurred, masks, strict=True)]
                )
            print(name, part, json.dumps(found[f"{name}_{part}"]), flush=True)
    return found


def product_sources() -> dict:
    analyzer = CellAnalyzer()
    sources = {
        "bccd_crops": sorted((data_root() / "bccd" / "crops").glob("*/*.jpg")),
        "cellavision_blog": sorted((expert_masks_root() / "images").glob("*.png")),
    }
    found = {}
    for name, paths in sources.items():
        values = []
        for start in range(0, len(paths), 16):
            chunk = paths[start : start + 16]
            for result in analyzer.analyze_bytes([(p.name, p.read_bytes()) for p in chunk]):
                if result.cell is not None:
                    values.append(sharpness(result.cell.canvas, result.cell.canvas_mask, result.cell.scale))
        found[name] = summary(values)
        print(name, json.dumps(found[name]), flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-source", type=int, default=800, help="cached cells per source and split")
    args = parser.parse_args()
    report = {"min_sharpness": MIN_SHARPNESS, **cached_sources(args.per_source), **product_sources()}
    (REPORTS_DIR / "focus_check.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
