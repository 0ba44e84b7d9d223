"""``radial-eval DIR --json [--split test]``: classify by the nearest shipped signature.

Each image of DIR (PBC layout) gets the group whose signature, as shipped by
``stats`` in ``reports/stats``, is nearest to its own radial signature; the
centre comes from the U-Net mask (the derived mask where the U-Net is absent).
The last stdout line is ``{"n": ..., "accuracy_8": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.commands.common import add_selection_arguments, selected_images
from bcds_core.paths import REPORTS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="folder in the PBC layout <group>/<LABEL>_<id>.jpg")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON (last line)")
    add_selection_arguments(parser)
    parser.add_argument("--stats", default=str(REPORTS_DIR / "stats"), help="folder written by `stats`")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from bcds_core.explore.cell_centre import CellLocator
    from bcds_core.explore.compute import analyze_images
    from bcds_core.explore.radial_signatures import signature_features
    from bcds_core.explore.stats_files import StatsMissingError, load_signature_classifier

    try:
        classifier = load_signature_classifier(args.stats)
        images, skipped = selected_images(args)
    except (StatsMissingError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    locator = CellLocator()
    analyzed = analyze_images(Path(args.dir), images, locator)
    signatures = [analysis.signature for _, analysis in analyzed]
    groups = [image.group for image, _ in analyzed]
    predicted = classifier.predict(signature_features(np.stack(signatures)))
    correct = sum(p == g for p, g in zip(predicted, groups, strict=True))
    result = {
        "n": len(groups),
        "accuracy_8": round(correct / len(groups), 4),
        "correct": correct,
        "metric": classifier.metric,
        "mask_source": locator.source,
        "undecodable": len(images) - len(analyzed),
        "skipped_files": len(skipped),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
