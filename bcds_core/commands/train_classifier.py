"""``train-classifier``: train the classifier from scratch (resumable)."""

from __future__ import annotations

import argparse
import sys

from bcds_core.paths import RUNS_DIR, WEIGHTS_DIR
from bcds_core.preprocessing import WORKING_SCALE

#: ``classifier.model.ARCHITECTURES``' names, spelt out so that the CLI starts without importing torch.
ARCHITECTURE_NAMES = ["resnet18", "resnet18_gn", "resnet34"]
#: The ResNet blocks ``--train-from`` can start at, in forward order (``training.freezing``).
TRAINABLE_BLOCKS = ["layer1", "layer2", "layer3", "layer4", "fc"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arch",
        default="resnet18",
        choices=ARCHITECTURE_NAMES,
        help="resnet18_gn: GroupNorm in place of BatchNorm (docs/training.md, BatchNorm or GroupNorm)",
    )
    parser.add_argument("--input-side", type=int, default=128, help="input pixels; 128 per 0.5 of --scale")
    parser.add_argument(
        "--scale",
        type=float,
        default=WORKING_SCALE,
        help="pixels per original pixel the cell is read at (its cache: build-cache --scale)",
    )
    parser.add_argument(
        "--mask-source",
        default="derived",
        choices=["derived", "unet"],
        help="the cache's masks to train and validate on: derived from colour, or the released U-Net's "
        "(build-cache --unet-masks), which the product classifies through",
    )
    parser.add_argument(
        "--sources",
        nargs="+",
        default=["pbc"],
        choices=["pbc", "deepapl"],
        help="labelled sources to train and validate on, each with its cache (build-cache --source)",
    )
    parser.add_argument(
        "--stain-augment",
        action="store_true",
        help="also draw random stain densities, focus and a wider zoom (other labs, microscopes, pixel sizes)",
    )
    parser.add_argument(
        "--camera-augment",
        action="store_true",
        help="also a coarser, washed-out camera for some samples (ordinary microscopes)",
    )
    parser.add_argument(
        "--camera-share", type=float, default=0.5, help="with --camera-augment: share of samples degraded"
    )
    parser.add_argument(
        "--camera-max-factor",
        type=float,
        default=3.0,
        help="with --camera-augment: most resolution lost, per side (phase 15: 3; a gentler 2)",
    )
    parser.add_argument(
        "--mask-augment",
        action="store_true",
        help="also draw mask dilations up to 31 working pixels, and let the release choose the widest "
        "inference dilation that validation allows (masks that stop at the nucleus on other microscopes)",
    )
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the weights' draws, the augmentation and the shuffles: another seed gives another "
        "ingredient for a soup",
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="train under bfloat16 autocast (validation and release stay float32); measure first: "
        "2x faster on a CPU with AVX512-BF16, many times slower on one without",
    )
    parser.add_argument(
        "--group-weight",
        type=float,
        default=0.0,
        help="extra weight of -log P(true group) in the loss, on top of the fine-class term that holds it once",
    )
    parser.add_argument(
        "--train-from",
        choices=TRAINABLE_BLOCKS,
        help="train only this block of the ResNet and those after it; the blocks before keep their weights "
        "and BatchNorm statistics (with --init-from: a backward pass through half the network, about "
        "twice as fast on a CPU)",
    )
    parser.add_argument(
        "--release-only",
        action="store_true",
        help="skip training: release the run's last checkpoint (BatchNorm, temperature, threshold)",
    )
    parser.add_argument(
        "--view-choices",
        type=int,
        nargs="+",
        help="flip-view counts the release step compares on validation, each a pass over it "
        "(default: all of flip_tta.VIEW_CHOICES, 1 4 8)",
    )
    parser.add_argument(
        "--init-from",
        help="start from the final weights of another run folder, or of a release folder such as weights/classifier "
        "(a fine-tuning phase: new optimiser and schedule)",
    )
    parser.add_argument(
        "--average-weights",
        action="store_true",
        help="with --init-from: hold the learning rate at --lr and release the mean of each epoch's weights (SWA)",
    )
    parser.add_argument(
        "--soup",
        nargs="+",
        default=[],
        metavar="RELEASE",
        help="no training: release the mean of these release folders' weights (a model soup), "
        "through the same release step as a trained phase",
    )
    parser.add_argument(
        "--recipe",
        help="run every phase of a versioned recipe (recipes/*.json) from its named start; the other "
        "options are the defaults its phases override",
    )
    parser.add_argument("--run-dir", default=str(RUNS_DIR / "classifier"), help="log and checkpoints")
    parser.add_argument("--out", default=str(WEIGHTS_DIR / "classifier"), help="release folder")


def run(args: argparse.Namespace) -> int:
    if args.soup and (args.init_from or args.average_weights or args.train_from):
        print(
            "error: --soup releases the mean of its releases: it takes no --init-from, --average-weights "
            "or --train-from",
            file=sys.stderr,
        )
        return 2
    if args.train_from and (args.recipe or not args.init_from):
        print(
            "error: --train-from keeps the first blocks of a start as they are: add --init-from RELEASE "
            "(a recipe names it per phase)",
            file=sys.stderr,
        )
        return 2
    if args.average_weights and not args.init_from:
        print(
            "error: --average-weights averages the weights of a trained run: add --init-from RUN_DIR",
            file=sys.stderr,
        )
        return 2
    from bcds_core.flip_tta import VIEW_CHOICES
    from bcds_core.training.train_classifier import train

    args.view_choices = args.view_choices or list(VIEW_CHOICES)
    if not set(args.view_choices) <= set(VIEW_CHOICES):
        print(f"error: --view-choices takes counts among {list(VIEW_CHOICES)}", file=sys.stderr)
        return 2
    from bcds_core.training.recipe import RecipeError, read_recipe, run_recipe
    from bcds_core.training.run_state import ResumeMismatch

    try:
        if not args.recipe:
            train(args)
            return 0
        release = run_recipe(args.recipe, args, train)
    except (RecipeError, ResumeMismatch) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    recipe = read_recipe(args.recipe)
    if "fit-answer-checks" in recipe.get("after", []):
        from bcds_core.commands import fit_answer_checks

        sources = recipe["phases"][-1]["args"].get("sources", args.sources)
        return fit_answer_checks.run(argparse.Namespace(release=str(release), sources=sources))
    return 0
