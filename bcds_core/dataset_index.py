"""Index a folder in the PBC layout: ``<group>/<LABEL>_<id>.<ext>``.

A file whose name carries no known label (another lab's naming) takes its
group from the folder and has no fine label.

Every file is either indexed (path, group, fine label, size, content hash) or
skipped with a reason; nothing in the folder can make indexing crash. The
content hash finds byte-identical duplicates, which must never straddle the
train/test boundary.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePath

from PIL import UnidentifiedImageError

from bcds_core.image_io import MAX_PIXELS, ImageDecodeError, TooManyPixels, open_within_limit, read_bytes
from bcds_core.taxonomy import FINE_TO_GROUP, GROUP_ONLY_LABELS, group_of_folder

#: The file types of ``image_io.SUPPORTED_FORMATS``: what predict reads, a folder or a zip reads too.
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp"}


def mac_metadata(path: PurePath) -> bool:
    """A file a Mac adds beside the files it copies or zips (resource forks), not an image."""
    return path.name.startswith("._") or "__MACOSX" in path.parts


@dataclass(frozen=True)
class IndexedImage:
    """One usable image of the dataset.

    Attributes:
        path: path relative to the indexed root, POSIX separators.
        group: one of ``taxonomy.GROUPS``.
        label: fine class, or None for images labelled only NEUTROPHIL or IG.
        width, height: pixel size from the file header.
        sha256: hex digest of the file's bytes.
    """

    path: str
    group: str
    label: str | None
    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class SkippedFile:
    """A file that is not part of the dataset, and why."""

    path: str
    reason: str


def parse_label(file_name: str) -> str:
    """The label prefix of ``<LABEL>_<id>.<ext>`` (e.g. ``SNE`` or ``NEUTROPHIL``)."""
    return file_name.split("_", 1)[0]


def index_file(root: Path, path: Path) -> IndexedImage | SkippedFile:
    """Index one file, or say why it is skipped."""
    relative = path.relative_to(root).as_posix()
    if (group := group_of_folder(path.parent.name)) is None:
        return SkippedFile(relative, f"folder '{path.parent.name}' is not a group of the taxonomy")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return SkippedFile(relative, f"extension '{path.suffix}' is not an image type")
    label = parse_label(path.name)
    label_group = FINE_TO_GROUP.get(label) or GROUP_ONLY_LABELS.get(label)
    if label_group is None:  # another lab's file name: the folder alone gives the group
        label, label_group = group, group
    if label_group != group:
        return SkippedFile(relative, f"label '{label}' does not belong in folder '{group}'")
    try:
        data = read_bytes(path)  # at most MAX_FILE_BYTES: a 120 MB file is not read whole to be refused
    except ImageDecodeError as error:  # too large, unreadable (permissions, a vanished file)
        return SkippedFile(relative, str(error))
    try:
        with open_within_limit(data) as image:
            width, height = image.size
            image.verify()
    except TooManyPixels:
        return SkippedFile(
            relative, f"declares more than {MAX_PIXELS / 1e6:.0f} million pixels (a possible bomb)"
        )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return SkippedFile(relative, f"not a readable image ({type(error).__name__})")
    fine = label if label in FINE_TO_GROUP else None
    return IndexedImage(relative, group, fine, width, height, hashlib.sha256(data).hexdigest())


def index_folder(root: str | Path) -> tuple[list[IndexedImage], list[SkippedFile]]:
    """Index every file below ``root`` (sorted, so the result is deterministic)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Dataset folder not found: {root}")
    images: list[IndexedImage] = []
    skipped: list[SkippedFile] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        entry = index_file(root, path)
        (images if isinstance(entry, IndexedImage) else skipped).append(entry)
    return images, skipped


def find_duplicates(images: list[IndexedImage]) -> list[list[IndexedImage]]:
    """Groups of two or more byte-identical images, largest first."""
    by_hash: dict[str, list[IndexedImage]] = defaultdict(list)
    for image in images:
        by_hash[image.sha256].append(image)
    groups = [group for group in by_hash.values() if len(group) > 1]
    return sorted(groups, key=lambda group: (-len(group), group[0].path))
