"""Choose the released U-Net's flip views on derived validation masks; record them in its config.

Usage: .venv/bin/python -m scripts.choose_unet_views
``train-unet`` does this at release; this script applies it to a U-Net released
before the step existed. Only ``config.json`` changes (the weights and their
hash stay as they are); the held-out expert masks are not looked at.
"""

from __future__ import annotations

import json

from bcds_core.image_cache import cache_dir, open_cache
from bcds_core.paths import DATASET_DIR, WEIGHTS_DIR
from bcds_core.preprocessing import WORKING_SCALE
from bcds_core.segmentation.unet import load_unet
from bcds_core.splits import read_split_csv
from bcds_core.training.train_unet import choose_mask_views, validation_indices
from bcds_core.weights_io import CONFIG_FILE


def main() -> None:
    model, config = load_unet(WEIGHTS_DIR / "unet")
    cache = open_cache(cache_dir(WORKING_SCALE), read_split_csv(DATASET_DIR / "pbc_split.csv"))
    val_idx = validation_indices(cache)
    views, scores = choose_mask_views(model, config, cache.images[val_idx], cache.masks[val_idx])
    config.update({"tta_views": views, "tta_validation_iou": scores})
    (WEIGHTS_DIR / "unet" / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    print(json.dumps({"views": views, "derived_validation_iou": scores, "masks": len(val_idx)}))


if __name__ == "__main__":
    main()
