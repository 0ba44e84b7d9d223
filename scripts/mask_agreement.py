"""How alike are two U-Net releases' cell masks on one source's images?

The classifier learned on one release's masks, so a new U-Net that masks the same
images otherwise changes what the classifier reads. This script draws images of
a training source's split (seed 0) and scores the second release's cell mask
against the first's (IoU, smp.metrics via ``mask_overlap``).

    .venv/bin/python -m scripts.mask_agreement weights/unet runs/unet_wide/release \
        --source pbc --split test --images 300
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bcds_core.image_io import decode_image, read_bytes
from bcds_core.segmentation.mask_overlap import mask_overlap
from bcds_core.segmentation.masker import CellMasker
from bcds_core.splits import read_split_csv
from bcds_core.training_sources import training_source

#: An image whose two masks overlap less than this is counted as masked differently.
DIFFERENT_BELOW = 0.95


def agreement(first: CellMasker, second: CellMasker, paths: list[Path]) -> dict:
    """Mean IoU of the two maskers' cell masks over ``paths``, and how many images fall under ``DIFFERENT_BELOW``."""
    ious = []
    for path in paths:
        rgb = decode_image(read_bytes(path)).rgb
        masks = [torch.from_numpy(m.cell_mask(rgb))[None] for m in (first, second)]
        ious.append(float(mask_overlap(*masks)[0][0]))
    return {
        "images": len(ious),
        "mean_iou": round(float(np.mean(ious)), 4),
        f"below_{DIFFERENT_BELOW}": int(np.sum(np.array(ious) < DIFFERENT_BELOW)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="U-Net release folder (the one the classifier learned on)")
    parser.add_argument("second", help="U-Net release folder to compare")
    parser.add_argument("--source", default="pbc", help="training source (pbc or deepapl)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()
    source = training_source(args.source)
    rows = [r for r in read_split_csv(source.split_csv) if r.split == args.split]
    chosen = np.random.default_rng(0).choice(len(rows), size=min(args.images, len(rows)), replace=False)
    paths = [source.image_root() / rows[i].path for i in sorted(chosen)]
    report = {
        "source": args.source,
        "split": args.split,
        **agreement(*map(CellMasker, map(Path, (args.first, args.second))), paths),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
