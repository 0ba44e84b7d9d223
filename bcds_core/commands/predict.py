"""``predict FILE... [--json]``: classify image files, one answer per file.

With ``--json``, one JSON object per line per file, in the order given, with
the contract's fields (``analysis.CONTRACT_FIELDS``). A file that cannot be
read gets ``ok: false`` and its reason; the others are still answered.
``--pixel-size`` gives the micrometres per pixel of every file; without it each
image's is estimated from its red cells or assumed (``pixel_size_source``).
"""

from __future__ import annotations

import argparse
import json

from bcds_core.commands.common import load_analyzer_and_profile, positive_float

#: Files read and answered per step, so that a long list streams its answers.
CHUNK = 16


def add_arguments(
    parser: argparse.ArgumentParser, json_help: str = "one JSON object per line per file"
) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument(
        "--pixel-size",
        type=positive_float,
        metavar="UM",
        help="micrometres per pixel of the images (CellaVision DM96: about 0.1); default: estimated",
    )
    parser.add_argument("--profile", metavar="PROFILE", help="a lab profile folder written by adapt")


def answer_files(analyzer, paths: list[str], pixel_size_um: float | None = None, profile=None):
    """Yield each file's ``CellResult`` in order, ``CHUNK`` files at a time; an unreadable file gets its own."""
    from bcds_core.image_io import ImageDecodeError, read_bytes

    for start in range(0, len(paths), CHUNK):
        items, unreadable = [], {}
        for path in paths[start : start + CHUNK]:
            try:
                items.append((path, read_bytes(path)))
            except ImageDecodeError as error:
                unreadable[path] = str(error)
                items.append((path, b""))
        for result in analyzer.analyze_bytes(items, pixel_size_um, profile):
            if result.file in unreadable:
                result.error = result.message = unreadable[result.file]
            yield result


def run(args: argparse.Namespace) -> int:
    if (loaded := load_analyzer_and_profile(args.profile)) is None:
        return 2
    analyzer, profile = loaded
    for result in answer_files(analyzer, args.files, args.pixel_size, profile):
        if args.json:
            print(json.dumps(result.to_json()), flush=True)
        else:
            answer = f"{result.group}/{result.label} ({result.label_confidence:.1%})" if result.label else "-"
            print(f"{result.file}: {result.status}: {answer} {result.message}", flush=True)
    return 0
