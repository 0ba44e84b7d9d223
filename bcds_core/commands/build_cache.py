"""``build-cache``: pre-decode the split's images and derived masks (run once)."""

from __future__ import annotations

import argparse

from bcds_core.paths import CACHE_DIR, DATASET_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", default=str(DATASET_DIR / "pbc_split.csv"))
    parser.add_argument("--out", default=str(CACHE_DIR / "pbc_working"))
    parser.add_argument("--workers", type=int, default=2)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bcds_core.image_cache import build_cache
    from bcds_core.paths import pbc_root
    from bcds_core.splits import read_split_csv

    build_cache(read_split_csv(args.split), pbc_root(), Path(args.out), workers=args.workers)
    return 0
