"""``extract-deepapl --mirror GITDIR``: the DeepAPL discovery images into the git-ignored cache.

GITDIR is a local mirror of the repository sidhomj/DeepAPL (the git directory
that the team's fetch tool brings). Only the blobs that the shared discovery
manifest names are read; the validation cohort is never opened. The labelled
cells and their patient-level split are written as split rows
(``dataset/deepapl_split.csv``), the input of ``build-cache --source deepapl``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mirror", required=True, help="git directory of a sidhomj/DeepAPL mirror")


def run(args: argparse.Namespace) -> int:
    from bcds_core.deepapl import SPLIT_CSV, extract_images, images_dir, read_manifest, split_rows
    from bcds_core.splits import write_split_csv

    mirror = Path(args.mirror)
    if not (mirror / "objects").is_dir():
        print(f"error: {mirror} is not a git directory (the fetch tool's .../repo folder)", file=sys.stderr)
        return 2
    cells = read_manifest()
    counts = extract_images(mirror, cells, images_dir())
    if counts["missing"]:
        print(json.dumps({"n": len(cells), **counts, "error": "blobs missing from the mirror"}))
        return 1
    rows = split_rows(cells, images_dir())
    write_split_csv(rows, SPLIT_CSV)
    print(json.dumps({"n": len(cells), **counts, "rows": len(rows), "split_csv": SPLIT_CSV.name}))
    return 0
