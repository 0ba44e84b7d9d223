"""``fit-answer-checks``: fit a release's answer checks (after training).

The familiarity check, conformal sets, abnormal thresholds and review threshold.
Reads the training sources' caches (``build-cache --unet-masks``), writes
``answer_checks.safetensors`` into the release folder and seals its thresholds
into the release's config. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.paths import WEIGHTS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release", default=str(WEIGHTS_DIR / "classifier"), help="classifier release folder"
    )
    parser.add_argument("--sources", nargs="+", default=["pbc", "deepapl"], choices=["pbc", "deepapl"])


def run(args: argparse.Namespace) -> int:
    import torch

    from bcds_core.classifier.answer_checks import fit_answer_checks
    from bcds_core.classifier.model import load_classifier
    from bcds_core.image_cache import open_sources
    from bcds_core.weights_io import WeightsError

    torch.set_num_threads(2)
    directory = Path(args.release)
    try:
        model, config = load_classifier(directory)
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    cache = open_sources(args.sources, config["scale"], "unet")
    checks, measured = fit_answer_checks(model, config, cache)
    checks.save(directory)
    print(
        json.dumps(
            {
                "release": directory.name,
                "review_threshold": checks.review_threshold,
                "familiarity_threshold": checks.familiarity.threshold,
                "conformal_quantile": checks.conformal_quantile,
                "coverage": checks.coverage,
                "fit_images": measured["fit_images"],
                "validation_images": measured["validation_images"],
                "abnormal_fit_images": measured["abnormal_fit_images"],
                "abnormal_thresholds": checks.abnormal.thresholds,
                "abnormal_exclusion": checks.abnormal.exclusion,
                "abnormal_screen_bar": checks.abnormal.screen_bar,
                "abnormal_operating_point": measured["abnormal_operating_point"],
            }
        )
    )
    return 0
