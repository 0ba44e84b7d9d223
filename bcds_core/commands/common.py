"""Helpers shared by the commands: choosing labelled images, loading the models with a clear failure,
checking a pixel size."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from bcds_core.paths import DATASET_DIR


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0 ("inf" and "nan" parse as floats, and would fail later)."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number above 0 (``--limit 0`` had used every image, ``-5`` all but five)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, got {text}")
    return value


def output_problem(path: str, folder: bool = False) -> str | None:
    """Why ``path`` cannot take a command's output (a file, or with ``folder`` a folder), or None.

    Checked before the work, not after it: ``report`` and ``adapt`` take minutes on many files.
    """
    target = Path(path)
    if folder and target.exists() and not target.is_dir():
        return f"{path} exists and is not a folder."
    if not folder and target.is_dir():
        return f"{path} is a folder, not a file to write."
    parent = target.parent
    if folder:  # a folder is made with its parents: the nearest one that exists must take it
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist." if not parent.exists() else f"{parent} is not a folder."
    if not os.access(parent if not target.is_dir() else target, os.W_OK):
        return f"the folder {parent} cannot be written."
    return None


def load_analyzer():
    """The CellAnalyzer, or None after printing why the models cannot be loaded."""
    from bcds_core.analysis import CellAnalyzer
    from bcds_core.weights_io import WeightsError

    try:
        return CellAnalyzer()
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def load_analyzer_and_profile(profile_dir: str | None):
    """(analyzer, lab profile or None), or None after printing why either cannot be used."""
    from bcds_core.lab_profile import LabProfile, ProfileError

    analyzer = load_analyzer()
    if analyzer is None or profile_dir is None:
        return None if analyzer is None else (analyzer, None)
    try:
        profile = LabProfile.load(Path(profile_dir), analyzer.classifier_config["weights_sha256"])
        analyzer.check_profile(profile)
    except ProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    # the answers' JSON names no profile: say once which one read them (stderr keeps stdout JSON)
    read_at = (
        "" if profile.pixel_size_um is None else f", at {profile.pixel_size_um} um per pixel unless given"
    )
    print(
        f"Answers read through the lab profile {profile_dir} "
        f"({profile.summary.get('n', 0)} labelled cells{read_at}).",
        file=sys.stderr,
    )
    return analyzer, profile


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--split``, ``--split-csv`` and ``--limit``: which images of a PBC-layout folder to use."""
    parser.add_argument(
        "--split", choices=["train", "val", "test"], help="only this split of the project's split CSV"
    )
    parser.add_argument("--split-csv", default=str(DATASET_DIR / "pbc_split.csv"))
    parser.add_argument("--limit", type=positive_int, help="use at most this many images (quick checks)")


def selected_images(args: argparse.Namespace):
    """(images, skipped files) of ``args.dir`` after ``--split`` and ``--limit``.

    Images are matched to the split CSV by content hash, so the project's test
    split is found inside any copy of the dataset folder.

    Raises:
        FileNotFoundError: ``args.dir`` is not a folder, or holds no labelled image (of the split).
    """
    from bcds_core.dataset_index import index_folder
    from bcds_core.splits import read_split_csv
    from bcds_core.taxonomy import GROUPS

    images, skipped = index_folder(args.dir)
    if not images:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3]) + (
            "; ..." if len(skipped) > 3 else ""
        )
        raise FileNotFoundError(
            f"no labelled images found in {args.dir} (folders named after the groups: {', '.join(GROUPS)})"
            + (f"; {len(skipped)} files skipped: {reasons}" if skipped else "")
        )
    if args.split:
        wanted = {row.sha256 for row in read_split_csv(args.split_csv) if row.split == args.split}
        found, images = len(images), [image for image in images if image.sha256 in wanted]
        if not images:
            raise FileNotFoundError(
                f"none of the {found} labelled images in {args.dir} is in the {args.split} split of "
                f"{args.split_csv} (PBC's split, matched by content): leave --split out for other images"
            )
    return (images[: args.limit] if args.limit else images), skipped


def source_image_root(source) -> Path:
    """The folder of a training source's images.

    Raises:
        FileNotFoundError: it is not there (no data folder, or DeepAPL before extract-deepapl).
    """
    root = source.image_root()
    if not root.is_dir():
        raise FileNotFoundError(
            f"no {source.name} images in {root} (set BCDS_DATA_DIR, or run extract-deepapl first for DeepAPL)"
        )
    return root


def source_images(args: argparse.Namespace):
    """(image root, rows, no skipped files) of a training source's split CSV after ``--split`` and ``--limit``.

    Raises:
        FileNotFoundError: the source's images are not there (e.g. DeepAPL before extract-deepapl).
    """
    from bcds_core.splits import read_split_csv
    from bcds_core.training_sources import training_source

    source = training_source(args.source)
    root = source_image_root(source)
    rows = [row for row in read_split_csv(source.split_csv) if not args.split or row.split == args.split]
    return root, (rows[: args.limit] if args.limit else rows), []
