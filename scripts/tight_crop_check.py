"""What the U-Net's slide balance is worth on another microscope's tight crops, imitated from PBC test cells.

Issue #24's hardest source: tight 120x120 crops of one white cell, another microscope and
stain, a yellowish slide (first version: 6 % right, mostly "platelet"). We have no such
images, so this script imitates the framing and the tint with PBC test-split cells (never
trained on): a square 1.2 times the cell's larger extent around the product's own mask of
the cell, resized to 120x120, as it is and on a yellowish slide (``mask_robustness.cast``).
Each imitation goes through the product (``CellAnalyzer.analyze_bytes``: pixel size unknown,
so read as a tight crop), with the U-Net balancing images on the slide (the release) and
reading them as they came. The stain and optics of a real other microscope are not imitated:
read the figures as what the framing and the tint alone cost.

    .venv/bin/python -m scripts.tight_crop_check [--images 300] -> reports/tight_crop_check.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bcds_core.analysis import CellAnalyzer
from bcds_core.evaluation import ok_answers
from bcds_core.image_io import decode_image, encode_png
from bcds_core.paths import DATASET_DIR, REPORTS_DIR, pbc_root
from bcds_core.preprocessing import resize_mask
from bcds_core.splits import read_split_csv
from scripts.mask_robustness import YELLOWISH, cast, tight_crop

CHUNK = 32


def imitations(analyzer: CellAnalyzer, rows) -> dict[str, list[tuple[str, bytes, str]]]:
    """(name, PNG bytes, true group) of each imitated source; cells the product rejects, or already
    reads as a tight crop, are left out."""
    out = {"tight 120 px crop": [], "tight 120 px crop, yellowish slide": []}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        uploads = [(r.path, (pbc_root() / r.path).read_bytes()) for r in chunk]
        results = analyzer.analyze_bytes(uploads)
        for row, (_, data), result in zip(chunk, uploads, results, strict=True):
            if result.status == "rejected" or result.pixel_size.tight_crop:
                continue
            rgb = decode_image(data).rgb
            mask = resize_mask(result.mask, *rgb.shape[:2]).astype(np.uint8)
            crop, _ = tight_crop(rgb, mask)
            out["tight 120 px crop"].append((row.path, encode_png(crop), row.group))
            out["tight 120 px crop, yellowish slide"].append(
                (row.path, encode_png(cast(crop, YELLOWISH)), row.group)
            )
    return out


def scores(analyzer: CellAnalyzer, items: list[tuple[str, bytes, str]]) -> dict:
    results = []
    for start in range(0, len(items), CHUNK):
        results += analyzer.analyze_bytes([(name, data) for name, data, _ in items[start : start + CHUNK]])
    truth = [group for _, _, group in items]
    return {
        "n": len(items),
        "accuracy_8": float(np.mean([r.group == t for r, t in zip(results, truth, strict=True)])),
        "other_cells_answered_platelet": sum(
            r.group == "platelet" != t for r, t in zip(results, truth, strict=True)
        ),
        **ok_answers(results, truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()
    rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    rows = [rows[i] for i in np.random.default_rng(0).choice(len(rows), args.images, replace=False)]
    analyzer = CellAnalyzer()
    sources = imitations(analyzer, rows)
    report = {"pbc_test_images_drawn": args.images, "balanced (release)": {}, "images as they came": {}}
    for name, items in sources.items():
        report["balanced (release)"][name] = scores(analyzer, items)
    analyzer.masker.config.pop("slide_rgb")
    for name, items in sources.items():
        report["images as they came"][name] = scores(analyzer, items)
    text = json.dumps(report, indent=1)
    print(text)
    (REPORTS_DIR / "tight_crop_check.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
