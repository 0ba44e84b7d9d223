"""``index``: index a PBC-layout folder, write the split CSV and the index report."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from bcds_core.paths import DATASET_DIR, pbc_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=None, help="PBC-layout folder (default: shared data)")
    parser.add_argument("--split-out", default=str(DATASET_DIR / "pbc_split.csv"))
    parser.add_argument("--report", default=str(DATASET_DIR / "index_report.md"))
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")


def render_report(rows, skipped, duplicates) -> str:
    """Markdown report: counts per class and split, sizes, skipped files, duplicates."""
    lines = ["# PBC index report", "", f"Indexed images: {len(rows)}; skipped files: {len(skipped)}.", ""]
    lines += [
        "## Images per file label and split",
        "",
        "| label | group | train | val | test | all |",
        "|---|---|---|---|---|---|",
    ]
    counts = Counter((r.label or r.group.upper(), r.group, r.split) for r in rows)
    for label, group in sorted({(k[0], k[1]) for k in counts}):
        per = [counts[(label, group, s)] for s in ("train", "val", "test")]
        lines.append(f"| {label} | {group} | {per[0]} | {per[1]} | {per[2]} | {sum(per)} |")
    lines += ["", "## Image sizes (width x height)", ""]
    for (w, h), n in Counter((r.width, r.height) for r in rows).most_common():
        lines.append(f"- {w}x{h}: {n}")
    lines += ["", "## Skipped files", ""] + [f"- `{s.path}`: {s.reason}" for s in skipped]
    lines += [
        "",
        f"## Byte-identical duplicates ({len(duplicates)} groups)",
        "",
        "Each group is kept in one split, so no test image is trained on under another name.",
        "",
    ]
    for group in duplicates:
        labels = {i.label or i.group for i in group}
        note = " (labels disagree)" if len(labels) > 1 else ""
        lines.append("- " + ", ".join(f"`{i.path}`" for i in group) + note)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from bcds_core.dataset_index import find_duplicates, index_folder
    from bcds_core.splits import assign_splits, write_split_csv

    root = Path(args.dir) if args.dir else pbc_root()
    if not root.is_dir():
        print(f"error: {root} is not a folder (set BCDS_DATA_DIR, or give DIR)", file=sys.stderr)
        return 2
    images, skipped = index_folder(root)
    if not images:
        print(f"error: no images in {root}; the split files were left as they are", file=sys.stderr)
        return 2
    rows = assign_splits(images)
    duplicates = find_duplicates(images)
    write_split_csv(rows, args.split_out)
    Path(args.report).write_text(render_report(rows, skipped, duplicates))
    summary = {
        "n": len(rows),
        "skipped": len(skipped),
        "duplicate_groups": len(duplicates),
        "splits": dict(Counter(r.split for r in rows)),
    }
    print(json.dumps(summary) if args.json else f"indexed {summary}; wrote {args.split_out}, {args.report}")
    return 0
