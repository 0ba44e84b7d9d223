"""``train-unet``: train the U-Net from scratch (resumable; see training.train_unet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bcds_core.paths import RUNS_DIR, WEIGHTS_DIR

#: Each stain's density is scaled by 1 +- this with ``--stain-augment`` unless ``--stain-range`` says
#: otherwise; every U-Net released before the option existed trained at it.
DEFAULT_STAIN_RANGE = 0.35


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--per-label", type=int, default=100, help="derived masks per class")
    parser.add_argument(
        "--stain-augment", action="store_true", help="random stain densities and focus (other labs' slides)"
    )
    parser.add_argument(
        "--stain-range",
        type=float,
        default=DEFAULT_STAIN_RANGE,
        help="with --stain-augment: each stain's density is scaled by 1 +- this",
    )
    parser.add_argument(
        "--no-train-slide-balance",
        dest="train_slide_balance",
        action="store_false",
        help="train on the images as they came, not balanced to the slide colour (the shipped U-Net "
        "trained so, before slide balance existed; its release still balances what the masker reads)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--run-dir", default=str(RUNS_DIR / "unet"), help="log and checkpoints")
    parser.add_argument(
        "--out", help="release folder (default: weights/unet; with --recipe, runs/<its run>/release)"
    )
    parser.add_argument(
        "--recipe",
        help="a versioned recipe of one phase (recipes/unet_*.json): its settings replace the options' "
        "defaults and its run names the run folder under runs/",
    )


def with_recipe(args: argparse.Namespace) -> argparse.Namespace:
    """The options with a one-phase recipe's settings applied (as ``train-classifier --recipe`` reads them).

    Raises:
        RecipeError: not one phase, or a setting ``train-unet`` does not have.
    """
    from bcds_core.training.recipe import RecipeError, phase_arguments, read_recipe

    phases = read_recipe(args.recipe)["phases"]
    if len(phases) != 1:
        raise RecipeError(f"A U-Net recipe has one phase; {args.recipe} has {len(phases)}.")
    (phase,) = phases
    if unknown := sorted(set(phase["args"]) - set(vars(args))):
        raise RecipeError(f"{args.recipe} sets what train-unet has no option for: {', '.join(unknown)}.")
    # never the shipped weights/unet by default: reproducing a release must not overwrite it
    out = Path(args.out) if args.out else RUNS_DIR / phase["run"] / "release"
    return phase_arguments(args, phase, None, out)


def with_release_folder(args: argparse.Namespace) -> argparse.Namespace:
    """The options with ``--out`` defaulting to the shipped release's folder, as before recipes."""
    return argparse.Namespace(**{**vars(args), "out": args.out or str(WEIGHTS_DIR / "unet")})


def run(args: argparse.Namespace) -> int:
    import sys

    from bcds_core.training.recipe import RecipeError
    from bcds_core.training.run_state import ResumeMismatch
    from bcds_core.training.train_unet import train

    try:
        train(with_recipe(args) if args.recipe else with_release_folder(args))
    except (RecipeError, ResumeMismatch) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
