"""Class balance, split counts and image sizes of an indexed folder, as plain dicts.

File labels NEUTROPHIL and IG (group only, no fine class) are counted under
their own names, so the fine-class counts show how many images each 11-class
label really has.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bcds_core.dataset_index import IndexedImage, SkippedFile, parse_label
from bcds_core.splits import SPLIT_NAMES
from bcds_core.taxonomy import FINE_CLASSES, GROUP_ONLY_LABELS, GROUPS

#: Split name for images the split CSV does not list (e.g. an outside folder).
UNSPLIT = "unlisted"


def file_label(image: IndexedImage) -> str:
    """The file-name label: a fine class, or NEUTROPHIL / IG for group-only images."""
    return parse_label(Path(image.path).name)


def summarise_dataset(
    images: list[IndexedImage], skipped: list[SkippedFile], split_of: dict[str, str]
) -> dict:
    """Counts of an indexed folder, JSON-ready.

    Args:
        images: the indexed images.
        skipped: the files that were not images of the dataset.
        split_of: sha256 -> split name (empty when no split is known).

    Returns:
        ``{"n_images", "n_skipped", "groups": {group: n}, "labels": {label: n},
        "splits": {split: {group: n}}, "sizes": [[width, height, n], ...]}``; every group
        and label appears (zero included), splits only when they hold images.
    """
    labels = Counter(file_label(i) for i in images)
    groups = Counter(i.group for i in images)
    splits: dict[str, dict[str, int]] = {}
    for split in (*SPLIT_NAMES, UNSPLIT):
        counts = Counter(i.group for i in images if split_of.get(i.sha256, UNSPLIT) == split)
        if counts:
            splits[split] = {g: counts[g] for g in GROUPS}
    sizes = Counter((i.width, i.height) for i in images)
    return {
        "n_images": len(images),
        "n_skipped": len(skipped),
        "skipped": [{"path": s.path, "reason": s.reason} for s in skipped][:50],
        "groups": {g: groups[g] for g in GROUPS},
        "labels": {label: labels[label] for label in (*FINE_CLASSES, *GROUP_ONLY_LABELS)},
        "splits": splits,
        "sizes": [[w, h, n] for (w, h), n in sizes.most_common()],
    }
