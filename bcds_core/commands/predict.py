"""``predict FILE... [--json]``: classify image files, one answer per file.

With ``--json``, one JSON object per line per file, in the order given, with
the contract's fields (file, ok, error, group, label, group_confidence,
label_confidence, top, single_cell, status, message). A file that cannot be
read gets ``ok: false`` and its reason; the others are still answered.
"""

from __future__ import annotations

import argparse
import json

from bcds_core.commands.common import load_analyzer

#: Files read and answered per step, so that a long list streams its answers.
CHUNK = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")


def run(args: argparse.Namespace) -> int:
    analyzer = load_analyzer()
    if analyzer is None:
        return 2
    from bcds_core.image_io import ImageDecodeError, read_bytes

    for start in range(0, len(args.files), CHUNK):
        items, unreadable = [], {}
        for path in args.files[start : start + CHUNK]:
            try:
                items.append((path, read_bytes(path)))
            except ImageDecodeError as error:
                unreadable[path] = str(error)
                items.append((path, b""))
        for result in analyzer.analyze_bytes(items):
            if result.file in unreadable:
                result.error = result.message = unreadable[result.file]
            if args.json:
                print(json.dumps(result.to_json()), flush=True)
            else:
                answer = (
                    f"{result.group}/{result.label} ({result.label_confidence:.0%})" if result.label else "-"
                )
                print(f"{result.file}: {result.status}: {answer} {result.message}", flush=True)
    return 0
