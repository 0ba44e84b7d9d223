"""``train-unet``: train the U-Net from scratch (resumable; see training.train_unet)."""

from __future__ import annotations

import argparse

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
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--run-dir", default=str(RUNS_DIR / "unet"), help="log and checkpoints")
    parser.add_argument("--out", default=str(WEIGHTS_DIR / "unet"), help="release folder")


def run(args: argparse.Namespace) -> int:
    from bcds_core.training.train_unet import train

    train(args)
    return 0
