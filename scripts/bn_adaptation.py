"""Does the classifier fail elsewhere because of its BatchNorm statistics? (issue #24 item 3)

Tsutsui et al. (ICASSP 2023) found BatchNorm statistics the largest single cause of
ResNets failing on another microscope. Short of training GroupNorm variants (hours per
network here), the cheapest test of that cause is to re-estimate the statistics on the
other microscope's own images (AdaBN, Li et al. 2016), which needs no labels: if accuracy
rises, a lab could calibrate bcds with unlabelled cells.

For each external source the cells are split in two halves by file order (even, odd);
statistics are re-estimated on one half's classifier inputs and the other half is
classified, then the halves swap. Reported per source: group accuracy with the shipped
statistics and with the re-estimated ones, through the product's pipeline (pixel size,
mask, tight crops) and its consistent answer.

Usage: .venv/bin/python -m scripts.bn_adaptation  -> reports/bn_adaptation.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from bcds_core.analysis import CellAnalyzer
from bcds_core.classifier.batchnorm import adapted_copy
from bcds_core.classifier.model import consistent_answer, fine_and_group_probabilities
from bcds_core.paths import REPORTS_DIR
from bcds_core.report import model_versions
from bcds_core.taxonomy import FINE_CLASSES, group_of
from scripts.evaluate_sources import source_rows

OUT = REPORTS_DIR / "bn_adaptation.json"
SOURCES = ("bccd_crops", "cellavision_blog", "deepapl_test_patients")
#: Images analysed per chunk (bounded memory).
CHUNK = 32

#: The report's entry naming the models measured (``report.model_versions``), so that a model card
#: written after a new release can tell that the table is of an earlier one.
MEASURED_WITH = "measured_with"


def classifier_inputs(analyzer: CellAnalyzer, root, rows) -> tuple[torch.Tensor, list[str]]:
    """The classifier inputs of the cells the product finds in each image, and their true groups."""
    inputs, truth = [], []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        results = analyzer.analyze_bytes([(p, (root / p).read_bytes()) for p, _, _ in chunk])
        kept = [(r, g) for r, (_, g, _) in zip(results, chunk, strict=True) if r.ok and r.cell is not None]
        if kept:
            inputs.append(analyzer.classifier_input([r.cell for r, _ in kept]).cpu())
            truth += [g for _, g in kept]
    return torch.cat(inputs), truth


def group_accuracy(model, inputs: torch.Tensor, truth: list[str], temperature: float) -> float:
    with torch.inference_mode():
        fine, _ = fine_and_group_probabilities(model(inputs), temperature)
    answers = [group_of(FINE_CLASSES[consistent_answer(f)[1]]) for f in fine.numpy()]
    return float(np.mean([a == t for a, t in zip(answers, truth, strict=True)]))


def other_half_accuracy(model, inputs: torch.Tensor, truth: list[str], temperature: float) -> float:
    """Group accuracy of every cell read with BatchNorm statistics re-estimated on the other half
    of the cells (halves by order, even and odd), never on its own half."""
    halves = [np.arange(len(truth))[k::2] for k in (0, 1)]
    right = 0.0
    for evaluated, fitted in (halves, halves[::-1]):
        part = [truth[i] for i in evaluated]
        adapted = adapted_copy(model, inputs[fitted], batch_size=64)
        right += group_accuracy(adapted, inputs[evaluated], part, temperature) * len(part)
    return right / len(truth)


def main() -> None:
    analyzer = CellAnalyzer()
    model = analyzer.classifier.eval()
    sources = source_rows(argparse.Namespace(limit=None))
    report = {}
    for name in SOURCES:
        root, rows = sources[name]
        inputs, truth = classifier_inputs(analyzer, root, rows)
        report[name] = {
            "cells": len(truth),
            "group_accuracy_shipped_statistics": group_accuracy(model, inputs, truth, analyzer.temperature),
            "group_accuracy_statistics_from_other_half": other_half_accuracy(
                model, inputs, truth, analyzer.temperature
            ),
        }
        print(name, report[name], flush=True)
    report[MEASURED_WITH] = model_versions(analyzer)
    OUT.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
