"""BatchNorm or GroupNorm: which survives another microscope? (issue #24 item 3)

Tsutsui et al. (ICASSP 2023) trained ResNet-50s on one microscope and tested them on
others: 23-35 % with BatchNorm, 49-78 % with GroupNorm. This study repeats their
comparison with bcds's own recipe: two ResNet-18s trained from scratch on PBC alone,
identical but for the normalisation layer (``train-classifier --arch resnet18`` and
``--arch resnet18_gn``, the command lines in ``docs/training.md``), each read through
the product's pipeline (pixel size, the shipped U-Net's mask, tight crops). The
BatchNorm network is also read with statistics re-estimated on the other half of each
source's cells (AdaBN, as ``scripts/bn_adaptation``), the remedy that needs no retraining.

Sources, none trained on by either network: PBC's validation split (home), the DeepAPL
discovery cohort's test patients' cells of the eight normal groups (another hospital's
CellaVision), the BCCD crops (another microscope) and the 50 CellaVision-blog cells.

Usage: .venv/bin/python -m scripts.normalisation_study RELEASE [RELEASE ...]
  -> reports/normalisation_study.json (a row per release run folder; rows of others kept)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bcds_core.analysis import CellAnalyzer
from bcds_core.classifier.batchnorm import batchnorm_statistics
from bcds_core.paths import DATASET_DIR, REPORTS_DIR, WEIGHTS_DIR, pbc_root
from bcds_core.splits import read_split_csv
from bcds_core.taxonomy import NORMAL_GROUPS
from scripts.bn_adaptation import classifier_inputs, group_accuracy, other_half_accuracy
from scripts.evaluate_sources import source_rows

OUT = REPORTS_DIR / "normalisation_study.json"
#: What the product reads besides the classifier: the U-Net and the domain check, as shipped.
SHARED_WEIGHTS = ("unet", "domain_check.json")


def study_sources() -> dict[str, tuple[Path, list]]:
    """(image root, rows) of each source; DeepAPL restricted to the groups a PBC-only network knows."""
    external = source_rows(argparse.Namespace(limit=None))
    pbc_val = [
        (r.path, r.group, r.label) for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "val"
    ]
    deepapl_root, deepapl = external["deepapl_test_patients"]
    return {
        "pbc_val": (pbc_root(), pbc_val),
        "deepapl_test_patients_normal_groups": (deepapl_root, [r for r in deepapl if r[1] in NORMAL_GROUPS]),
        "bccd_crops": external["bccd_crops"],
        "cellavision_blog": external["cellavision_blog"],
    }


def analyzer_for(release: Path, folder: Path) -> CellAnalyzer:
    """The product's analyzer with ``release`` as its classifier and the shipped U-Net."""
    for name in SHARED_WEIGHTS:
        (folder / name).symlink_to((WEIGHTS_DIR / name).resolve())
    (folder / "classifier").symlink_to(release.resolve())
    return CellAnalyzer(folder)


def source_scores(analyzer: CellAnalyzer, root: Path, rows: list) -> dict:
    """Group accuracy of the cells the product finds; for a BatchNorm network also with AdaBN (halves swapped)."""
    inputs, truth = classifier_inputs(analyzer, root, rows)
    model, temperature = analyzer.classifier, analyzer.temperature
    scores = {"cells": len(truth), "group_accuracy": group_accuracy(model, inputs, truth, temperature)}
    if batchnorm_statistics(model):
        scores["group_accuracy_adabn_other_half"] = other_half_accuracy(model, inputs, truth, temperature)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="+", type=Path, help="release folders of train-classifier")
    args = parser.parse_args()
    sources = study_sources()
    report = {}
    for release in args.releases:
        config = json.loads((release / "config.json").read_text())
        with tempfile.TemporaryDirectory() as folder:
            analyzer = analyzer_for(release, Path(folder))
            scores = {name: source_scores(analyzer, root, rows) for name, (root, rows) in sources.items()}
        report[release.parent.name] = {
            "arch": config["arch"],
            "weights_sha256": config.get("weights_sha256"),
            **scores,
        }
        print(release, json.dumps(report[release.parent.name]), flush=True)
    earlier = json.loads(OUT.read_text()) if OUT.exists() else {}  # other releases' rows are kept
    OUT.write_text(json.dumps({**earlier, **report}, indent=2) + "\n")


if __name__ == "__main__":
    main()
