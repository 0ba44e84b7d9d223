"""``analyze-field FILE... [--json] [--pixel-size UM]``: white cells of smear fields, classified and counted.

With ``--json``, one JSON object per line per file: ``file, ok, error,
pixel_size_um, cells, counts, message``; each cell has ``box`` ([x0, y0, x1,
y1] in pixels of the file), ``group, label, group_confidence,
label_confidence, status, message``. A cell cut by the field's border is
``review``. A file that cannot be read gets ``ok: false`` and the others are
still answered.
"""

from __future__ import annotations

import argparse
import json

from bcds_core.commands.common import load_analyzer, positive_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")
    parser.add_argument(
        "--pixel-size", type=positive_float, metavar="UM", help="micrometres per pixel (default: estimated)"
    )


def run(args: argparse.Namespace) -> int:
    analyzer = load_analyzer()
    if analyzer is None:
        return 2
    from bcds_core.field.analysis import FieldResult, analyze_field
    from bcds_core.image_io import ImageDecodeError, read_bytes

    for path in args.files:
        try:
            result = analyze_field(analyzer, path, read_bytes(path), args.pixel_size)
        except ImageDecodeError as error:
            result = FieldResult(path, False, str(error), message=str(error))
        if args.json:
            print(json.dumps(result.to_json()), flush=True)
        else:
            counts = ", ".join(f"{group} {n}" for group, n in sorted(result.counts.items()))
            print(f"{path}: {result.message} {counts}", flush=True)
    return 0
