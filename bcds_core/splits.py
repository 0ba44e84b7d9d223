"""Deterministic, stratified train / validation / test splits.

Within each file label (the 11 fine classes plus NEUTROPHIL and IG), distinct
images are ordered by a seeded hash of their content and cut at fixed
fractions. The split therefore depends only on the bytes of the images, not on
file order or a random-number generator, and byte-identical duplicates always
land in the same split, so no test image is ever trained on under another name.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bcds_core.dataset_index import IndexedImage, parse_label

SPLIT_NAMES = ("train", "val", "test")
#: Fractions of each label's distinct images for validation and test.
VAL_FRACTION = 0.10
TEST_FRACTION = 0.15
SPLIT_SEED = "bcds-split-v1"
SPLIT_COLUMNS = ("path", "group", "label", "width", "height", "sha256", "split")


@dataclass(frozen=True)
class SplitRow(IndexedImage):
    """One image of the split CSV: an indexed image and the split it belongs to."""

    split: str


def _order_key(sha256: str) -> str:
    return hashlib.sha256(f"{SPLIT_SEED}:{sha256}".encode()).hexdigest()


def assign_splits(images: list[IndexedImage]) -> list[SplitRow]:
    """Assign each image to train, val or test, stratified by file label."""
    hashes_by_label: dict[str, set[str]] = defaultdict(set)
    for image in images:
        hashes_by_label[parse_label(Path(image.path).name)].add(image.sha256)
    split_of_hash: dict[str, str] = {}
    for label in sorted(hashes_by_label):
        ordered = sorted(hashes_by_label[label] - split_of_hash.keys(), key=_order_key)
        n_test = round(len(ordered) * TEST_FRACTION)
        n_val = round(len(ordered) * VAL_FRACTION)
        for position, sha in enumerate(ordered):
            split = "test" if position < n_test else "val" if position < n_test + n_val else "train"
            split_of_hash[sha] = split
    return [
        SplitRow(i.path, i.group, i.label, i.width, i.height, i.sha256, split_of_hash[i.sha256])
        for i in images
    ]


def write_split_csv(rows: list[SplitRow], path: str | Path) -> None:
    """Write the split as CSV (sorted by path, so diffs stay readable)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SPLIT_COLUMNS)
        for row in sorted(rows, key=lambda r: r.path):
            writer.writerow(
                [row.path, row.group, row.label or "", row.width, row.height, row.sha256, row.split]
            )


def read_split_csv(path: str | Path) -> list[SplitRow]:
    """Read a split CSV written by ``write_split_csv``."""
    with open(path, newline="") as handle:
        return [
            SplitRow(
                r["path"],
                r["group"],
                r["label"] or None,
                int(r["width"]),
                int(r["height"]),
                r["sha256"],
                r["split"],
            )
            for r in csv.DictReader(handle)
        ]
