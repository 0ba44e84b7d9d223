"""``evaluate-masks DIR --json``: U-Net masks against human masks.

DIR holds ``images/NAME.png`` and ``masks/NAME.png`` (mask > 0 is the cell).
The U-Net's mask of the cell (``find_cell``: its main component, cut to the
central cell where touching cells share it), at the image's own size, is
compared with the human mask. The last line is ``{"n", "mean_iou", "mean_dice", ...}``;
``not_trained_on`` repeats the figures for the images whose names the U-Net's
config does not list as trained on (for the shipped expert set: 15 of 50).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bcds_core.paths import WEIGHTS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="folder with images/ and masks/")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON (last line)")


def _scores(pairs) -> dict:
    import numpy as np

    ious = [p[0] for p in pairs]
    dices = [p[1] for p in pairs]
    return {
        "n": len(pairs),
        "mean_iou": float(np.mean(ious)) if pairs else 0.0,
        "mean_dice": float(np.mean(dices)) if pairs else 0.0,
    }


def run(args: argparse.Namespace) -> int:
    import torch

    from bcds_core.segmentation.expert_masks import read_mask_folder
    from bcds_core.segmentation.mask_overlap import mask_overlap
    from bcds_core.segmentation.masker import CellMasker
    from bcds_core.weights_io import WeightsError

    try:
        pairs = read_mask_folder(Path(args.dir))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not pairs:
        print(f"error: no images/NAME.png with masks/NAME.png in {args.dir}", file=sys.stderr)
        return 2
    try:
        masker = CellMasker(WEIGHTS_DIR / "unet")
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    trained_on = set(masker.config.get("training", {}).get("expert_trained_on", []))
    scored = []
    for pair in pairs:
        predicted = torch.from_numpy(masker.cell_mask(pair.rgb))[None]
        iou, dice = mask_overlap(predicted, torch.from_numpy(pair.mask)[None])
        scored.append((pair.name, float(iou[0]), float(dice[0])))
    summary = _scores([s[1:] for s in scored])
    summary["not_trained_on"] = _scores([s[1:] for s in scored if s[0] not in trained_on])
    summary["per_image"] = {name: round(iou, 4) for name, iou, _ in scored}
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 0
