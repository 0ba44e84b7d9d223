"""The shipped models on every labelled source it did not train on, per source, through the product.

Sources: the PBC test split; the DeepAPL discovery patients held out for test
(another hospital's CellaVision, AML/APL); the BCCD white-cell crops (another
microscope, zero-shot); the 50 CellaVision-blog cells of the expert-mask set
(another lab, zero-shot). For each: group accuracy, how many answers are
``ok`` and how many of those are right, and the risk-coverage curve (accuracy
of the answers kept as the confidence threshold rises), and the wrong ``ok``
answers by true and answered group. For DeepAPL also the
abnormal-cell detection (with the ROC of the blast probability, blasts
against the same patients' normal cells, and the release's operating point)
and the patient-level screen; for PBC, the screen of healthy batches of 100
test cells. The network never trained on the DeepAPL test patients, but the
abnormal thresholds are fitted on them with the validation patients
(``ABNORMAL_FIT_SPLITS``): ``scripts/screening_cv.py`` gives the held-out
figures of those.

Usage: .venv/bin/python -m scripts.evaluate_sources [--limit N]
  -> reports/sources/metrics.json, risk_coverage.png and blast_roc.png
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from bcds_core.analysis import CellAnalyzer, CellResult
from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.deepapl import read_manifest
from bcds_core.evaluation import LabelledResult, ok_answers, summarise
from bcds_core.paths import DATASET_DIR, REPORTS_DIR, data_root, expert_masks_root, pbc_root
from bcds_core.screening import BLAST_EQUIVALENTS, SUSPECT_MIN_CELLS, screen
from bcds_core.splits import read_split_csv
from bcds_core.taxonomy import ABNORMAL_GROUPS, GROUPS
from bcds_core.training_sources import training_source

OUT_DIR = REPORTS_DIR / "sources"
CHUNK = 32
HEALTHY_BATCH = 100


def analyzed(
    analyzer: CellAnalyzer, root: Path, rows: list[tuple[str, str, str | None]]
) -> list[LabelledResult]:
    """(path under root, true group, true fine label) -> labelled results, in order."""
    items = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        results = analyzer.analyze_bytes([(path, (root / path).read_bytes()) for path, _, _ in chunk])
        items += [LabelledResult(p, g, label, r) for (p, g, label), r in zip(chunk, results, strict=True)]
    return items


def risk_coverage(items: list[LabelledResult]) -> list[dict]:
    """Coverage and group accuracy of the answers whose group confidence reaches each threshold."""
    confidence = np.array([i.result.group_confidence or 0.0 for i in items])
    right = np.array([i.result.group == i.true_group for i in items])
    curve = []
    for threshold in np.linspace(0, 0.99, 34):
        kept = confidence >= threshold
        curve.append(
            {
                "threshold": round(float(threshold), 3),
                "coverage": float(kept.mean()),
                "accuracy": float(right[kept].mean()) if kept.any() else None,
            }
        )
    return curve


def wrong_ok_answers(items: list[LabelledResult]) -> dict[str, int]:
    """The ``ok`` answers that were wrong, counted by "true group -> answered group", most first."""
    pairs = [
        f"{i.true_group} -> {i.result.group}"
        for i in items
        if i.result.status == "ok" and i.result.group != i.true_group
    ]
    return dict(Counter(pairs).most_common())


def abnormal_detection(items: list[LabelledResult]) -> dict:
    """Blasts caught (answered or flagged as blast), and the normal cells' group accuracy and share
    flagged as any abnormal group."""

    def flagged(result: CellResult, groups) -> bool:
        return result.group in groups or bool(set(result.flags) & set(groups))

    blasts = [i for i in items if i.true_group == "blast"]
    normal = [i for i in items if i.true_group not in ABNORMAL_GROUPS]
    return {
        "blasts": len(blasts),
        "blasts_caught": float(np.mean([flagged(i.result, ("blast",)) for i in blasts])) if blasts else None,
        "normal_cells": len(normal),
        "normal_cells_accuracy_8": float(np.mean([i.result.group == i.true_group for i in normal]))
        if normal
        else None,
        "normal_flagged": float(np.mean([flagged(i.result, ABNORMAL_GROUPS) for i in normal]))
        if normal
        else None,
        "normal_flagged_as_blast": float(np.mean([flagged(i.result, ("blast",)) for i in normal]))
        if normal
        else None,
        "blast_roc": blast_roc(blasts, normal),
    }


def blast_roc(blasts: list[LabelledResult], normal: list[LabelledResult]) -> dict | None:
    """ROC of the calibrated blast probability: blasts against normal cells (answered cells only)."""
    scored = [i for i in blasts + normal if i.result.fine_probabilities is not None]
    truth = np.array([i.true_group == "blast" for i in scored])
    if len(set(truth)) < 2:
        return None
    column = GROUPS.index("blast")
    score = np.array([(i.result.fine_probabilities @ GROUP_MATRIX)[column] for i in scored])
    false_positive, true_positive, _ = roc_curve(truth, score)
    keep = np.unique(np.linspace(0, len(false_positive) - 1, 60).round().astype(int))
    return {
        "auroc": float(roc_auc_score(truth, score)),
        "fpr": [round(float(v), 4) for v in false_positive[keep]],
        "tpr": [round(float(v), 4) for v in true_positive[keep]],
    }


def patient_screens(items: list[LabelledResult], split: str) -> dict:
    """The screen of each held-out patient's cells (and how many blasts or abnormal promyelocytes the lab
    labelled among them), and APL-vs-AML AUROC of ``apl_score``."""
    cells = {c.file_name: c for c in read_manifest() if c.split == split}
    by_patient = defaultdict(list)
    for item in items:
        by_patient[cells[item.path].patient].append(item)
    patients = []
    for patient, own in sorted(by_patient.items()):
        summary = screen([i.result for i in own])
        diagnosis = next(c.diagnosis for c in cells.values() if c.patient == patient)
        labelled = sum(i.true_group in BLAST_EQUIVALENTS for i in own)
        patients.append(
            {
                "patient": patient,
                "diagnosis": diagnosis,
                "labelled_blast_equivalents": labelled,
                **summary.to_json(),
            }
        )
    scored = [p for p in patients if p["apl_score"] is not None]
    labels = [p["diagnosis"] == "APL" for p in scored]
    auroc = roc_auc_score(labels, [p["apl_score"] for p in scored]) if len(set(labels)) == 2 else None
    return {
        "patients": len(patients),
        "suspected": sum(p["leukaemia_suspected"] for p in patients),
        "with_blasts": sum(p["labelled_blast_equivalents"] >= SUSPECT_MIN_CELLS for p in patients),
        "with_blasts_suspected": sum(
            p["leukaemia_suspected"] for p in patients if p["labelled_blast_equivalents"] >= SUSPECT_MIN_CELLS
        ),
        "apl_vs_aml_auroc": auroc,
        "per_patient": [
            {
                k: p[k]
                for k in (
                    "patient",
                    "diagnosis",
                    "n",
                    "labelled_blast_equivalents",
                    "blast_fraction",
                    "leukaemia_suspected",
                    "apl_score",
                )
            }
            for p in patients
        ],
    }


def healthy_batches(cells: int) -> list[slice]:
    """Consecutive whole batches of ``HEALTHY_BATCH`` among ``cells`` PBC test cells (healthy donors)."""
    return [slice(i, i + HEALTHY_BATCH) for i in range(0, cells - HEALTHY_BATCH + 1, HEALTHY_BATCH)]


def healthy_screens(items: list[LabelledResult]) -> dict:
    """Screens of consecutive batches of 100 PBC test cells (healthy donors)."""
    batches = healthy_batches(len(items))
    suspected = [screen([i.result for i in items[batch]]).leukaemia_suspected for batch in batches]
    return {"batches": len(batches), "suspected": int(sum(suspected))}


def one_sample_screen(items: list[LabelledResult]) -> dict:
    """Another microscope's labelled normal cells screened as one sample: how specific the screen
    stays where the cells are unfamiliar."""
    found = screen([i.result for i in items])
    return {"n": found.n, "blast_fraction": found.blast_fraction, "suspected": found.leukaemia_suspected}


def source_rows(args) -> dict[str, tuple[Path, list]]:
    rng = np.random.default_rng(0)
    pbc = [
        (r.path, r.group, r.label) for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"
    ]
    rng.shuffle(pbc)  # mixed classes, so each healthy batch is a plausible differential
    deepapl = [
        (r.path, r.group, r.label)
        for r in read_split_csv(training_source("deepapl").split_csv)
        if r.split == "test"
    ]
    crops_root = data_root() / "bccd" / "crops"
    crops = [
        (p.relative_to(crops_root).as_posix(), p.parent.name, None)
        for p in sorted(crops_root.glob("*/*.jpg"))
    ]
    with open(expert_masks_root() / "labels.csv", newline="") as handle:
        blog = [(f"images/{r['image']}", r["class"], None) for r in csv.DictReader(handle)]
    sources = {
        "pbc_test": (pbc_root(), pbc),
        "deepapl_test_patients": (training_source("deepapl").image_root(), deepapl),
        "bccd_crops": (crops_root, crops),
        "cellavision_blog": (expert_masks_root(), blog),
    }
    return {
        name: (root, rows[: args.limit] if args.limit else rows) for name, (root, rows) in sources.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, help="images per source (a quick look)")
    args = parser.parse_args()
    analyzer = CellAnalyzer()
    metrics = {}
    for name, (root, rows) in source_rows(args).items():
        items = analyzed(analyzer, root, rows)
        summary = summarise(items, analyzer.temperature)
        metrics[name] = {
            **{
                k: summary[k]
                for k in ("n", "accuracy_8", "accuracy_11", "macro_f1_8", "n_review", "n_rejected")
            },
            **ok_answers([i.result for i in items], [i.true_group for i in items]),
            "wrong_ok": wrong_ok_answers(items),
            "risk_coverage": risk_coverage(items),
        }
        if name == "deepapl_test_patients":
            metrics[name]["abnormal"] = abnormal_detection(items)
            metrics[name]["screening"] = patient_screens(items, "test")
        if name == "pbc_test":
            metrics[name]["healthy_screening"] = healthy_screens(items)
        if name == "bccd_crops":
            metrics[name]["one_sample_screening"] = one_sample_screen(items)
        print(name, json.dumps({k: v for k, v in metrics[name].items() if k != "risk_coverage"}), flush=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    plot_risk_coverage(metrics, OUT_DIR / "risk_coverage.png")
    plot_blast_roc(metrics["deepapl_test_patients"]["abnormal"], OUT_DIR / "blast_roc.png")


def plot_risk_coverage(metrics: dict, path: Path) -> None:
    """Accuracy of the answers kept against the share kept, one line per source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for name, found in metrics.items():
        curve = [p for p in found["risk_coverage"] if p["accuracy"] is not None]
        axis.plot([p["coverage"] for p in curve], [p["accuracy"] for p in curve], label=name)
        axis.scatter([found["ok_share"]], [found["ok_right"] or 0], marker="o")
    axis.set_xlabel("share of images answered (by confidence)")
    axis.set_ylabel("group accuracy of those answers")
    axis.set_title("Risk-coverage per source (dots: answers with status ok)")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def plot_blast_roc(abnormal: dict, path: Path) -> None:
    """ROC of the blast probability on the test patients, with the release's operating point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roc = abnormal["blast_roc"]
    if roc is None:
        return
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot(roc["fpr"], roc["tpr"], label=f"blast probability (AUROC {roc['auroc']:.3f})")
    axis.scatter(
        [abnormal["normal_flagged_as_blast"]],
        [abnormal["blasts_caught"]],
        color="C3",
        label="operating point",
    )
    axis.set_xlabel("normal cells flagged as blast")
    axis.set_ylabel("blasts caught")
    axis.set_title("DeepAPL test patients: blasts vs normal cells")
    axis.legend(fontsize=8, loc="lower right")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
