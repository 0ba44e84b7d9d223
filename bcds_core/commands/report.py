"""``report FILE... --pdf OUT [--json] [--sample-id ID]``: a PDF report of one sample's cells.

The PDF holds the differential (white cells answered ``ok`` or ``review``), the
flags and screening summary, a gallery of the cells, the unusable files with
their reasons, the model versions and the "not a diagnostic device" line. With
``--json`` the last line is ``pdf, n, differential, unusable``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.commands.common import load_analyzer_and_profile, output_problem
from bcds_core.commands.predict import add_arguments as add_predict_arguments
from bcds_core.commands.predict import answer_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_predict_arguments(
        parser, "print the summary (PDF, files, differential, unusable files) as one JSON line"
    )
    parser.add_argument("--pdf", required=True, metavar="OUT", help="the PDF file to write")
    parser.add_argument("--sample-id", default="sample", help="the sample's ID (never a patient's name)")


def run(args: argparse.Namespace) -> int:
    from bcds_core.differential import differential
    from bcds_core.report import model_versions, sample_report

    if problem := output_problem(args.pdf):
        print(f"error: cannot write the report: {problem}", file=sys.stderr)
        return 2
    if (loaded := load_analyzer_and_profile(args.profile)) is None:
        return 2
    analyzer, profile = loaded
    results = list(answer_files(analyzer, args.files, args.pixel_size, profile))
    Path(args.pdf).write_bytes(sample_report(results, args.sample_id, model_versions(analyzer)))
    unusable = [{"file": r.file, "reason": r.message} for r in results if r.status == "rejected"]
    summary = {
        "pdf": args.pdf,
        "n": len(results),
        "differential": differential(results).to_json(),
        "unusable": unusable,
    }
    print(
        json.dumps(summary)
        if args.json
        else f"wrote {args.pdf}: {len(results)} files, {len(unusable)} unusable"
    )
    return 0
