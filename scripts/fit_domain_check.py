"""Fit the colour domain check (``bcds_core.domain_check``) -> weights/domain_check.json.

Fitted on the training split of the decoded-image cache (working scale, derived
masks); the share of validation images it would reject is written beside it.

Usage: .venv/bin/python -m scripts.fit_domain_check   (after `python -m bcds_core build-cache`)
"""

from __future__ import annotations

import numpy as np

from bcds_core.domain_check import DOMAIN_CHECK_FILE, DomainCheck, colour_features
from bcds_core.image_cache import cache_dir, open_cache
from bcds_core.paths import DATASET_DIR, WEIGHTS_DIR
from bcds_core.preprocessing import WORKING_SCALE
from bcds_core.splits import read_split_csv


def features_of(cache, indices: np.ndarray) -> np.ndarray:
    return np.stack([colour_features(cache.images[i], cache.masks[i] > 0) for i in indices])


def main() -> None:
    rows = read_split_csv(DATASET_DIR / "pbc_split.csv")
    cache = open_cache(cache_dir(WORKING_SCALE), rows)
    split = np.array([r.split for r in rows])
    train = np.flatnonzero((split == "train") & cache.mask_found)
    val = np.flatnonzero((split == "val") & cache.mask_found)
    check = DomainCheck.fit(features_of(cache, train))
    rejected = float(np.mean([not check.looks_like_smear(cache.images[i], cache.masks[i] > 0) for i in val]))
    provenance = {
        "fitted_on": f"train split, {len(train)} images (cache masks)",
        "val_rejected_fraction": rejected,
    }
    check.save(WEIGHTS_DIR / DOMAIN_CHECK_FILE, provenance)
    print({"threshold": check.threshold, **provenance})


if __name__ == "__main__":
    main()
