"""Does the classifier read the cell, or the colour balance of the JPEG pipeline?

A subset of PBC's classes was saved by another JPEG pipeline with a different
colour balance. A model that learned the balance instead of the cell would lose
accuracy in those classes when every image is moved to one common balance. For
test-split images (at most PER_CLASS per fine label) this script reports, per
class: the slide colour (median of the image border, RGB), and the accuracy as
the images are and after per-channel gains that move each image's slide colour
to the median slide colour of all of them.

Usage: .venv/bin/python -m scripts.colour_check [PER_CLASS]   -> reports/colour_check.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np

from bcds_core.analysis import CellAnalyzer
from bcds_core.dataset_index import parse_label
from bcds_core.image_io import decode_image, encode_png, read_bytes
from bcds_core.paths import DATASET_DIR, REPORTS_DIR, pbc_root
from bcds_core.preprocessing import background_colour
from bcds_core.splits import read_split_csv


def rebalanced(rgb: np.ndarray, slide: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``rgb`` with per-channel gains that turn its slide colour into ``target``."""
    gains = target / np.maximum(slide, 1.0)
    return np.clip(rgb.astype(np.float32) * gains, 0, 255).astype(np.uint8)


def _hits(results, index: list[int], field: str, expected: list[str]) -> float:
    """Share of ``results[index]`` whose ``field`` (label or group) is as expected."""
    return float(np.mean([getattr(results[i], field) == e for i, e in zip(index, expected, strict=True)]))


def main(per_class: int) -> None:
    rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    by_label = defaultdict(list)
    for row in rows:
        by_label[parse_label(row.path.rsplit("/", 1)[-1])].append(row)
    chosen = [row for label in sorted(by_label) for row in by_label[label][:per_class]]
    images = [decode_image(read_bytes(pbc_root() / row.path)).rgb for row in chosen]
    slides = np.array([background_colour(rgb) for rgb in images], np.float32)
    target = np.median(slides, axis=0)
    analyzer = CellAnalyzer(device="cpu")
    as_is = analyzer.analyze_bytes(
        [(row.path, encode_png(rgb)) for row, rgb in zip(chosen, images, strict=True)]
    )
    moved = analyzer.analyze_bytes(
        [
            (row.path, encode_png(rebalanced(rgb, slide, target)))
            for row, rgb, slide in zip(chosen, images, slides, strict=True)
        ]
    )
    report = {"per_class": per_class, "target_slide_rgb": target.round(1).tolist(), "classes": {}}
    for label in sorted(by_label):
        index = [i for i, row in enumerate(chosen) if parse_label(row.path.rsplit("/", 1)[-1]) == label]
        truth = [chosen[i] for i in index]
        field, expected = (
            ("label", [r.label for r in truth]) if truth[0].label else ("group", [r.group for r in truth])
        )
        report["classes"][label] = {
            "n": len(index),
            "slide_rgb": slides[index].mean(axis=0).round(1).tolist(),
            "accuracy_as_is": _hits(as_is, index, field, expected),
            "accuracy_rebalanced": _hits(moved, index, field, expected),
        }
    report["accuracy_8_as_is"] = float(
        np.mean([r.group == row.group for r, row in zip(as_is, chosen, strict=True)])
    )
    report["accuracy_8_rebalanced"] = float(
        np.mean([r.group == row.group for r, row in zip(moved, chosen, strict=True)])
    )
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "colour_check.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
