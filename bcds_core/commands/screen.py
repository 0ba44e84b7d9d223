"""``screen FILE... --json``: the cells of one sample, and whether they suggest leukaemia.

Each file is answered as by ``predict`` (one JSON line each); the last line is
the sample's summary: ``n, counts, blast_fraction, leukaemia_suspected,
apl_score, message`` (with the ``rule`` and the ``driving_cells``). A file that
is a smear field is screened by its white cells, found as ``analyze-field``
finds them (``FIELD#N`` among the driving cells), not as one cell. A screening
aid for a person to check, not a diagnosis.
"""

from __future__ import annotations

import argparse
import json

from bcds_core.commands.common import load_analyzer_and_profile
from bcds_core.commands.predict import add_arguments as add_predict_arguments
from bcds_core.commands.predict import answer_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_predict_arguments(parser, "one JSON object per line per file, then the sample's summary")


def run(args: argparse.Namespace) -> int:
    from bcds_core.screening import screen

    if (loaded := load_analyzer_and_profile(args.profile)) is None:
        return 2
    analyzer, profile = loaded
    results = []
    for result in answer_files(analyzer, args.files, args.pixel_size, profile):
        result.drop_images()  # the summary needs the answers only
        if args.json:
            print(json.dumps(result.to_json()), flush=True)
        if result.field_cells is None:
            results.append(result)
        elif cells := white_cells_of_field(analyzer, result, args.pixel_size, profile):
            results += cells
        else:  # not readable again, or no white cell found in it: named as a field left out
            results.append(result)
    summary = screen(results, analyzer.abnormal_thresholds.screen_bar)
    if args.json:
        print(json.dumps(summary.to_json()), flush=True)
    else:
        print(summary.message, flush=True)
        if summary.driving:
            print("Cells that drove it: " + summary.driving_line(), flush=True)
    return 0


def white_cells_of_field(analyzer, answered, pixel_size_um: float | None, profile) -> list:
    """The answers for the white cells of the smear field ``answered`` was found to be (none where it
    cannot be read again, or holds none)."""
    from bcds_core.field.analysis import analyze_field
    from bcds_core.image_io import ImageDecodeError, read_bytes

    try:
        field = analyze_field(analyzer, answered.file, read_bytes(answered.file), pixel_size_um, profile)
    except ImageDecodeError:  # removed since it was answered
        return []
    for cell in field.cells:
        cell.result.drop_images()
    return [cell.result for cell in field.cells]
