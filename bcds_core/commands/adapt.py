"""``adapt DIR --out PROFILE --json``: fit a lab profile from labelled cells of the lab's microscope.

DIR holds ``DIR/<group>/<image>`` (group names as in ``predict``; any subset of
groups, about 5-20 cells each) and optionally ``DIR/unlabelled/``. The profile
folder (plain JSON and safetensors, sealed) is then used by ``predict
--profile`` and ``evaluate --profile``. The last line is JSON: ``n``,
``groups``, ``profile``, ``accuracy_before`` and ``accuracy_after_cv``
(cross-validated), both over all ``n`` labelled cells (``unread``: those that
could not be read, counted as not right).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.commands.common import load_analyzer, output_problem, positive_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="folder of the lab's cells: DIR/<group>/<image>")
    parser.add_argument("--out", required=True, help="profile folder to write")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (last line)")
    parser.add_argument(
        "--pixel-size", type=positive_float, metavar="UM", help="micrometres per pixel, if known"
    )


def run(args: argparse.Namespace) -> int:
    from bcds_core.adapt import fit_profile, lab_items, unknown_folders
    from bcds_core.taxonomy import GROUPS

    if problem := output_problem(args.out, folder=True):
        print(f"error: cannot write the profile: {problem}", file=sys.stderr)
        return 2
    analyzer = load_analyzer()
    if analyzer is None:
        return 2
    try:
        profile, _ = fit_profile(analyzer, lab_items(Path(args.dir)), args.pixel_size)
    except (ValueError, FileNotFoundError, NotADirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if left_out := unknown_folders(Path(args.dir)):
        print(
            f"warning: folders named after no group were left out: {', '.join(left_out)} "
            f"(name them {', '.join(GROUPS)}, or unlabelled)",
            file=sys.stderr,
        )
    profile.save(Path(args.out))
    summary = {**profile.summary, "profile": str(args.out), "pixel_size_um": profile.pixel_size_um}
    print(json.dumps(summary) if args.json else summary)
    return 0
