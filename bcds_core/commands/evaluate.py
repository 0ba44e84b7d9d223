"""``evaluate DIR [--split test] --json [--out OUTDIR]``: measure the classifier.

DIR is in the PBC layout. ``--split`` keeps only images that the project's
split CSV puts in that split (matched by content hash), which is how the
project's own test split is measured inside the full dataset folder. The last
stdout line is one JSON object of metrics; ``--out`` also writes confusion
matrices, per-class reports, every prediction and the misclassified list.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.commands.common import (
    add_selection_arguments,
    load_analyzer_and_profile,
    output_problem,
    positive_float,
    selected_images,
    source_images,
)

CHUNK = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir",
        nargs="?",
        help="folder in the PBC layout <group>/<LABEL>_<id>.jpg, or <group>/<any name> for another lab's cells",
    )
    parser.add_argument(
        "--source",
        choices=["deepapl"],
        help="instead of DIR: a training source's own split (e.g. deepapl --split test: held-out patients)",
    )
    parser.add_argument(
        "--pixel-size", type=positive_float, metavar="UM", help="micrometres per pixel of every image"
    )
    parser.add_argument("--profile", metavar="PROFILE", help="a lab profile folder written by adapt")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON (last line)")
    parser.add_argument("--out", help="folder for confusion matrices, reports and error lists")
    add_selection_arguments(parser)
    parser.add_argument(
        "--thumbnails",
        action="store_true",
        help="with --out: thumbnails (mask, Grad-CAM) of misclassified cells for the review page",
    )


def measured_on(args: argparse.Namespace) -> dict:
    """Which images were evaluated, so that a page showing the result can say it: the training source
    or the folder's name (never a path of this machine), the split (``all`` without one), the limit."""
    return {
        "images": args.source or Path(args.dir).resolve().name,
        "split": args.split or "all",
        "limit": args.limit,
    }


def run(args: argparse.Namespace) -> int:
    from bcds_core.evaluation import LabelledResult, summarise, write_artifacts

    if (args.dir is None) == (args.source is None):
        print("error: give DIR or --source", file=sys.stderr)
        return 2
    if args.out and (problem := output_problem(args.out, folder=True)):
        print(f"error: cannot write the evaluation: {problem}", file=sys.stderr)
        return 2
    try:
        root, images, skipped = (
            source_images(args) if args.source else (Path(args.dir), *selected_images(args))
        )
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not images:
        print(f"error: no labelled images found in {root}", file=sys.stderr)
        return 2
    if (loaded := load_analyzer_and_profile(args.profile)) is None:
        return 2
    analyzer, profile = loaded
    items = []
    for start in range(0, len(images), CHUNK):
        chunk = images[start : start + CHUNK]
        results = analyzer.analyze_bytes(
            [(i.path, (root / i.path).read_bytes()) for i in chunk], args.pixel_size, profile
        )
        for image, result in zip(chunk, results, strict=True):
            items.append(LabelledResult(image.path, image.group, image.label, result))
            if not (args.thumbnails and items[-1].wrong):  # only a misclassified cell's thumbnails need them
                result.drop_images()
        print(f"evaluated {len(items)}/{len(images)}", file=sys.stderr, flush=True)
    summary = {
        **summarise(items, analyzer.temperature),
        "measured_on": measured_on(args),
        "skipped_files": len(skipped),
        "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
    }
    if args.out:
        write_artifacts(items, summary, Path(args.out))
        if args.thumbnails:
            from bcds_core.review_thumbnails import write_error_thumbnails

            write_error_thumbnails(analyzer, items, Path(args.out) / "thumbnails")
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 0
