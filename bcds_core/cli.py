"""The command line: a stable contract between the parts and with outside checks.

Each command's module is imported only when that command runs, so ``--help``
and light commands start fast. Commands whose models are not trained yet say
so and exit with status 2; a command that fails on bad arguments exits 2 too.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command -> (module, help). Each module defines add_arguments(parser) and run(args) -> int.
COMMANDS = {
    "index": ("bcds_core.commands.index", "index a PBC-layout folder; write the split and report"),
    "build-cache": ("bcds_core.commands.build_cache", "pre-decode the dataset into the uint8 cache"),
    "train-unet": ("bcds_core.commands.train_unet", "train the U-Net (resumable)"),
    "train-classifier": ("bcds_core.commands.train_classifier", "train the classifier (resumable)"),
    "predict": ("bcds_core.commands.predict", "classify image files"),
    "report": ("bcds_core.commands.report", "write a PDF report of one sample's cells"),
    "adapt": ("bcds_core.commands.adapt", "fit a lab profile from labelled cells of your microscope"),
    "screen": (
        "bcds_core.commands.screen",
        "screen the cells of one sample for leukaemia (a prompt, not a diagnosis)",
    ),
    "analyze-field": (
        "bcds_core.commands.analyze_field",
        "find, classify and count the white cells of smear fields",
    ),
    "evaluate": ("bcds_core.commands.evaluate", "evaluate the classifier on a PBC-layout folder"),
    "evaluate-masks": ("bcds_core.commands.evaluate_masks", "evaluate the U-Net on expert masks"),
    "stats": ("bcds_core.commands.stats", "compute exploration statistics of a PBC-layout folder"),
    "radial-eval": ("bcds_core.commands.radial_eval", "nearest radial-signature classification"),
    "ood-eval": ("bcds_core.commands.ood_eval", "rates of rejection on images that are not one cell"),
    "bench": ("bcds_core.commands.bench", "time every stage; print JSON figures"),
    "fit-answer-checks": (
        "bcds_core.commands.fit_answer_checks",
        "fit a classifier release's answer checks: familiarity, conformal sets, abnormal and review thresholds",
    ),
    "extract-deepapl": (
        "bcds_core.commands.extract_deepapl",
        "extract the DeepAPL discovery images from a local git mirror",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bcds_core",
        description="bcds: blood-cell classification with explanations (research and teaching aid).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module_name=module_name)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return importlib.import_module(args.module_name).run(args)


if __name__ == "__main__":
    sys.exit(main())
