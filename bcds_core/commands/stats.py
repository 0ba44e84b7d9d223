"""``stats DIR [--out reports/stats] [--per-class N]``: exploration statistics of a folder.

DIR is in the PBC layout. Images the project's split CSV lists (matched by
content hash) are fitted on the train split and evaluated on the test split;
any other folder is summarised without an evaluation. The files written are
small enough to commit, so the exploration pages work without the dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.paths import DATASET_DIR, REPORTS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="folder in the PBC layout <group>/<LABEL>_<id>.jpg")
    parser.add_argument("--out", default=str(REPORTS_DIR / "stats"), help="folder for the statistics files")
    parser.add_argument("--per-class", type=int, default=300, help="most images per label to fit on")
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-class subsample")
    parser.add_argument("--outliers", type=int, default=4, help="outliers kept per group")
    parser.add_argument("--split-csv", default=str(DATASET_DIR / "pbc_split.csv"))
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")


def run(args: argparse.Namespace) -> int:
    from bcds_core.explore.compute import compute_stats
    from bcds_core.explore.stats_files import write_stats
    from bcds_core.splits import read_split_csv

    if args.per_class < 1:
        print("error: --per-class must be at least 1", file=sys.stderr)
        return 2
    split_csv = Path(args.split_csv)
    split_of = {row.sha256: row.split for row in read_split_csv(split_csv)} if split_csv.exists() else {}
    try:
        bundle = compute_stats(
            args.dir, split_of, args.per_class, args.seed, outliers_per_class=args.outliers
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    files = write_stats(bundle, args.out)
    evaluation = bundle.evaluation or {}
    primary = evaluation.get("metrics", {}).get(evaluation.get("primary_metric"), {})
    summary = {
        "n_images": bundle.summary["n_images"],
        **{k: bundle.summary["settings"][k] for k in ("n_fit", "n_evaluated", "mask_source", "seconds")},
        "accuracy_8": primary.get("accuracy_8"),
        "bytes": sum(f.stat().st_size for f in files),
    }
    print(json.dumps(summary) if args.json else f"wrote {len(files)} files to {args.out}: {summary}")
    return 0
