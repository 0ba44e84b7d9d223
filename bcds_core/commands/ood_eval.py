"""``ood-eval [--json]``: how often non-single-cell images get a confident class.

Builds the out-of-distribution corpus (``bcds_core.ood_corpus``) from the
project's test split and scikit-image's sample photos, and reports, per kind,
the fractions rejected, sent to review, and answered ``ok`` (the failure rate).
"""

from __future__ import annotations

import argparse
import json
import sys

from bcds_core.paths import DATASET_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the rates as JSON (last line)")
    parser.add_argument("--composites", type=int, default=40, help="two-cell images to make")
    parser.add_argument("--split-csv", default=str(DATASET_DIR / "pbc_split.csv"))


def run(args: argparse.Namespace) -> int:
    from collections import Counter, defaultdict

    from bcds_core.commands.common import load_analyzer, source_image_root
    from bcds_core.ood_corpus import ood_items
    from bcds_core.splits import read_split_csv
    from bcds_core.training_sources import training_source

    try:
        pbc_images = source_image_root(training_source("pbc"))
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    analyzer = load_analyzer()
    if analyzer is None:
        return 2
    test_paths = [pbc_images / r.path for r in read_split_csv(args.split_csv) if r.split == "test"]
    statuses: dict[str, Counter] = defaultdict(Counter)
    for kind, name, data in ood_items(test_paths[::7], args.composites):
        statuses[kind][analyzer.analyze_bytes([(name, data)])[0].status] += 1
    report = {
        kind: {
            "n": sum(c.values()),
            **{s: round(c[s] / sum(c.values()), 3) for s in ("rejected", "review", "ok")},
        }
        for kind, c in statuses.items()
    }
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    return 0
