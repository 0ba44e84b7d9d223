"""Galleries: the images of one class in a seeded random order, one page at a time.

The same seed always gives the same order, so a teacher can say "seed 7, page 3"
and every student sees the same cells.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from bcds_core.dataset_index import IMAGE_SUFFIXES, parse_label
from bcds_core.taxonomy import FINE_TO_GROUP, GROUP_ONLY_LABELS


def images_by_label(root: str | Path) -> dict[str, list[Path]]:
    """Image files of a PBC-layout folder by file label (fine class, NEUTROPHIL or IG).

    Only cheap checks (folder, label, extension): galleries list, they do not decode.
    Files whose label does not belong to their folder are left out. Paths are sorted.
    """
    known = {**FINE_TO_GROUP, **GROUP_ONLY_LABELS}
    found: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(Path(root).glob("*/*")):
        label = parse_label(path.name)
        if path.suffix.lower() in IMAGE_SUFFIXES and known.get(label) == path.parent.name:
            found[label].append(path)
    return dict(found)


def gallery_page(paths: list[Path], seed: int, page: int, per_page: int) -> tuple[list[Path], int]:
    """One page of ``paths`` in the order a seeded shuffle gives.

    Args:
        paths: the class's images.
        seed: shuffle seed.
        page: 0-based page number (clipped to the last page).
        per_page: images per page (at least 1).

    Returns:
        The page's paths and the number of pages (at least 1).
    """
    per_page = max(1, per_page)
    n_pages = max(1, -(-len(paths) // per_page))
    page = min(max(0, page), n_pages - 1)
    order = np.random.default_rng(seed).permutation(len(paths))
    return [paths[i] for i in order[page * per_page : (page + 1) * per_page]], n_pages
