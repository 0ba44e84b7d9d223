"""Released classifiers scored on the cached validation split, per source: what the ship rules compare.

The release step measures its own candidate; this scores any release folders (the shipped one
among them) the same way, from the same caches, so that two releases are compared on equal terms:
the released weights and mask dilation, one view, groups from the softmax of the logits as the
epochs' validation reads them (no temperature: the product's answers, through the whole pipeline,
are what `evaluate --split val` measures).

    python -m scripts.cached_validation weights/classifier runs/p22_release
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bcds_core.classifier.model import load_classifier
from bcds_core.image_cache import open_sources
from bcds_core.training.train_classifier import centres_of, per_source_accuracies, predict_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", nargs="+", type=Path)
    parser.add_argument("--sources", nargs="+", default=["pbc", "deepapl"])
    parser.add_argument("--mask-source", default="unet", choices=["derived", "unet"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for release in args.releases:
        model, config = load_classifier(release)
        cache = open_sources(args.sources, config["scale"], args.mask_source)
        split = np.array([r.split for r in cache.rows])
        indices = np.flatnonzero((split == "val") & cache.mask_found)
        logits = predict_logits(model, cache, indices, centres_of(cache, indices), config)
        scores = per_source_accuracies(logits, [cache.rows[i] for i in indices], cache.source[indices])
        print(json.dumps({"release": str(release), "images": len(indices), **scores}))


if __name__ == "__main__":
    main()
