"""``build-cache``: pre-decode the split's images and derived masks at one scale (run once per scale).

With ``--unet-masks`` it adds the released U-Net's masks to the built cache instead,
for a classifier trained on the masks the product classifies through.
"""

from __future__ import annotations

import argparse
import sys

from bcds_core.preprocessing import WORKING_SCALE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        default="pbc",
        choices=["pbc", "deepapl"],
        help="which labelled source (deepapl: after extract-deepapl)",
    )
    parser.add_argument(
        "--scale", type=float, default=WORKING_SCALE, help="pixels per original pixel (a classifier's scale)"
    )
    parser.add_argument("--out", help="cache folder (default: the scale's folder under the cache directory)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-derived-masks",
        action="store_true",
        help="skip the colour-derived masks (50x the decoding time) for a cache that trains on --unet-masks",
    )
    parser.add_argument(
        "--unet-masks",
        action="store_true",
        help="add the released U-Net's masks to the cache already built at --scale",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bcds_core.commands.common import source_image_root
    from bcds_core.image_cache import add_unet_masks, build_cache, cache_dir
    from bcds_core.paths import WEIGHTS_DIR
    from bcds_core.splits import read_split_csv
    from bcds_core.training_sources import training_source

    source = training_source(args.source)
    try:
        root = source_image_root(source)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else cache_dir(args.scale, source.name)
    rows = read_split_csv(source.split_csv)
    if args.unet_masks:
        add_unet_masks(rows, root, out, WEIGHTS_DIR / "unet", workers=args.workers)
    else:
        build_cache(
            rows,
            root,
            out,
            scale=args.scale,
            workers=args.workers,
            derived_masks=not args.no_derived_masks,
        )
    return 0
