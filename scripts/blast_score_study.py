"""Can the blast decision get better without training the network again? Measured by patient.

Session 20's cross-validation (``scripts/screening_cv.py``) left the cell-level
goal of #26 short: the softmax's blast probability catches 90 % of blasts only
by flagging about 10 % of the same patients' normal cells. Two remedies that
cost no training, each measured on the 24 DeepAPL patients the network never
trained on, folds by patient as in ``screening_cv`` (``patient_folds``):

- flip views: the blast probability averaged over 4 or 8 flipped looks at the
  cell (``flip_tta``), instead of the release's single look;
- a head refitted on patients the network did not learn: a logistic regression,
  blast against every other cell, on the network's pooled features, on its log
  probabilities, or on both. Re-training only the last layer on held-out data
  can undo what the network over-learned from its training cells (Kirichenko et
  al., "Last layer re-training is sufficient for robustness to spurious
  correlations", ICLR 2023). Heads are fitted on the fitting patients and score
  the held-out ones; nothing about a held-out patient is seen.

A third question needs no new score: how many normal cells does the answer rule
itself cost? An abnormal group is answered when it is the likeliest and at its
flag threshold; answering it only above a stricter bar (the likeliest normal
group answered otherwise, the flag kept) trades normal cells answered right
against abnormal cells named as such (``answer_bars``).

Per repeat, from every patient's out-of-fold score: the AUROC of blasts against
normal cells, blasts caught with 5 % of normal cells flagged, normal cells flagged
when 90 % of blasts are caught. Then at the release's own rule: the threshold
that keeps ``BLAST_SENSITIVITY`` of the fitting patients' blasts (from their
own out-of-fold head scores, so that the threshold is not fitted on scores the
head learned), applied to the held-out patients.

Usage: .venv/bin/python -m scripts.blast_score_study [--reuse]
  -> reports/blast_score_study.json (per-cell outputs kept in runs/blast_score_study/cells.npz)
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bcds_core.analysis import CellAnalyzer
from bcds_core.classifier.abnormal_thresholds import ABNORMAL_INDICES, BLAST_SENSITIVITY, AbnormalThresholds
from bcds_core.classifier.answer_checks import fit_abnormal_thresholds
from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.paths import REPORTS_DIR, RUNS_DIR, WEIGHTS_DIR
from bcds_core.taxonomy import ABNORMAL_GROUPS, FINE_CLASSES, GROUPS
from bcds_core.training_sources import training_source
from bcds_core.weights_io import read_config, sha256_of
from scripts.evaluate_sources import analyzed
from scripts.screening_cv import (
    answered_groups,
    goal_points,
    held_out_deepapl_rows,
    kept_outputs,
    patient_folds,
    patient_study_arguments,
    patients_and_diagnoses,
)

OUT_PATH = REPORTS_DIR / "blast_score_study.json"
CELLS_PATH = RUNS_DIR / "blast_score_study" / "cells.npz"
FLIP_VIEWS_TRIED = (4, 8)
#: Inverse regularisation strengths of the heads (about 2,700 fitting cells, 512 features).
HEAD_STRENGTHS = (0.003, 0.03, 0.3)
HEAD_INPUTS = ("features", "log_probabilities", "features_and_log_probabilities")
MIN_PROBABILITY = 1e-6
#: Shares of the fitting patients' normal cells an abnormal group may take as *answers*, each
#: tried as a bar for answering it above its flag threshold.
ANSWER_BUDGETS = (0.0025, 0.01, 0.03)
BLAST = FINE_CLASSES.index("BLAST")


def product_outputs(analyzer: CellAnalyzer) -> dict[str, np.ndarray]:
    """Per held-out patient cell, through the product: calibrated fine probabilities with the
    release's view and with each of ``FLIP_VIEWS_TRIED``, pooled features, truth, patient, rejection.

    The extra views are computed from the very input tensors the product classifies.
    """
    extra_views = {views: [] for views in FLIP_VIEWS_TRIED}
    product_input = analyzer.classifier_input

    def recording_input(cells):
        inputs = product_input(cells)
        for views, kept in extra_views.items():
            kept.append(analyzer.fine_probabilities_of_inputs(inputs, views=views))
        return inputs

    analyzer.classifier_input = recording_input
    rows = held_out_deepapl_rows()
    items = analyzed(analyzer, training_source("deepapl").image_root(), rows)
    rejected = np.array([i.result.status == "rejected" for i in items])
    # The classified images, in the order their inputs were recorded (an unreadable one has no embedding).
    found = [i.result for i in items if i.result.embedding is not None]
    if any(len(np.concatenate(kept)) != len(found) for kept in extra_views.values()):
        raise RuntimeError("the recorded flip views do not match the classified images one to one")
    outputs = {
        "fine": np.stack([r.fine_probabilities for r in found]),
        "features": np.stack([r.embedding for r in found]).astype(np.float32),
        **{f"fine_{views}_views": np.concatenate(kept) for views, kept in extra_views.items()},
    }
    with_cell = np.array([i.result.embedding is not None for i in items])
    patient, diagnosis = patients_and_diagnoses(rows)
    return {
        **outputs,
        "rejected": rejected[with_cell],
        "truth": np.array([i.true_group for i in items])[with_cell],
        "patient": patient[with_cell],
        "diagnosis": diagnosis[with_cell],
    }


def head_inputs(cells: dict[str, np.ndarray], kind: str) -> np.ndarray:
    log_probabilities = np.log(np.clip(cells["fine"], MIN_PROBABILITY, 1.0))
    return {
        "features": cells["features"],
        "log_probabilities": log_probabilities,
        "features_and_log_probabilities": np.hstack([cells["features"], log_probabilities]),
    }[kind]


def blast_head(strength: float):
    """Standardised inputs, then a class-balanced logistic regression: blast against every other cell."""
    return make_pipeline(
        StandardScaler(), LogisticRegression(C=strength, max_iter=5000, class_weight="balanced")
    )


def head_scores(
    x: np.ndarray,
    is_blast: np.ndarray,
    patient: np.ndarray,
    fit: np.ndarray,
    held: np.ndarray,
    strength: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(fitting cells' out-of-fold scores, held-out cells' scores) of a head fitted on ``fit``."""
    inner = cross_val_predict(
        blast_head(strength),
        x[fit],
        is_blast[fit],
        groups=patient[fit],
        cv=GroupKFold(5),
        method="predict_proba",
    )[:, 1]
    head = blast_head(strength).fit(x[fit], is_blast[fit])
    return inner, head.predict_proba(x[held])[:, 1]


def roc_points(score: np.ndarray, is_blast: np.ndarray, normal: np.ndarray) -> dict:
    """AUROC, blasts caught at the normal-flag budget, normal cells flagged at the blast goal
    (``screening_cv.goal_points``, over the blasts and the normal cells)."""
    scored = is_blast | normal
    return goal_points(is_blast[scored], score[scored])


def study(cells: dict[str, np.ndarray], folds: int, repeats: int) -> dict:
    usable = ~cells["rejected"]
    cells = {k: v[usable] for k, v in cells.items()}
    truth, patient = cells["truth"], cells["patient"]
    is_blast, normal = truth == "blast", ~np.isin(truth, ABNORMAL_GROUPS)
    softmax = {"softmax, release's view": cells["fine"][:, BLAST]}
    softmax |= {f"softmax, {v} flip views": cells[f"fine_{v}_views"][:, BLAST] for v in FLIP_VIEWS_TRIED}
    heads = {
        f"head on {kind.replace('_', ' ')}, C={strength}": (head_inputs(cells, kind), strength)
        for kind in HEAD_INPUTS
        for strength in HEAD_STRENGTHS
    }
    names = list(softmax) + list(heads)
    out_of_fold = {name: np.zeros((repeats, len(truth))) for name in names}
    at_rule = {name: {"blasts_caught": 0, "normal_flagged_as_blast": 0} for name in names}
    for repeat, fit, held in patient_folds(patient, cells["diagnosis"], folds, repeats):
        for name in names:
            if name in softmax:
                fitting_scores, held_scores = softmax[name][fit], softmax[name][held]
            else:
                x, strength = heads[name]
                fitting_scores, held_scores = head_scores(x, is_blast, patient, fit, held, strength)
            threshold = np.quantile(fitting_scores[is_blast[fit]], 1 - BLAST_SENSITIVITY)
            out_of_fold[name][repeat, held] = held_scores
            at_rule[name]["blasts_caught"] += int((held_scores[is_blast[held]] >= threshold).sum())
            at_rule[name]["normal_flagged_as_blast"] += int((held_scores[normal[held]] >= threshold).sum())
    result = {}
    for name in names:
        per_repeat = [roc_points(scores, is_blast, normal) for scores in out_of_fold[name]]
        result[name] = {
            **{key: float(np.mean([p[key] for p in per_repeat])) for key in per_repeat[0]},
            "at_release_rule": {
                "blasts_caught": at_rule[name]["blasts_caught"] / (repeats * is_blast.sum()),
                "normal_flagged_as_blast": at_rule[name]["normal_flagged_as_blast"]
                / (repeats * normal.sum()),
            },
        }
    return {"cells": {"blasts": int(is_blast.sum()), "normal": int(normal.sum())}, "scores": result}


def answer_bars(cells: dict[str, np.ndarray], review: float, folds: int, repeats: int) -> dict:
    """Out of fold, for the release's answer rule and each of ``ANSWER_BUDGETS``: normal cells'
    group accuracy and the share of each abnormal group's cells answered as that group."""
    usable = ~cells["rejected"]
    fine, truth = cells["fine"][usable], cells["truth"][usable]
    groups = fine @ GROUP_MATRIX
    normal = ~np.isin(truth, ABNORMAL_GROUPS)
    rules = ("release",) + ANSWER_BUDGETS
    answered_right = {rule: np.zeros(len(truth)) for rule in rules}
    for _, fit, held in patient_folds(cells["patient"][usable], cells["diagnosis"][usable], folds, repeats):
        thresholds = fit_abnormal_thresholds(groups[fit], truth[fit], review)
        for rule in rules:
            answering = thresholds
            if rule != "release":
                stricter = np.quantile(groups[fit & normal][:, ABNORMAL_INDICES], 1 - rule, axis=0)
                answering = AbnormalThresholds(
                    {
                        g: max(thresholds.thresholds[g], float(bar))
                        for g, bar in zip(ABNORMAL_GROUPS, stricter, strict=True)
                    }
                )
            answered = answered_groups(fine[held], answering)
            answered_right[rule][held] += np.array(GROUPS)[answered] == truth[held]
    return {
        str(rule): {
            "normal_group_accuracy": float(right[normal].mean() / repeats),
            **{
                f"{g}_answered_{g}": float(right[truth == g].mean() / repeats)
                for g in ABNORMAL_GROUPS
                if (truth == g).any()
            },
        }
        for rule, right in answered_right.items()
    }


def main() -> None:
    args = patient_study_arguments()
    cells = kept_outputs(CELLS_PATH, args.reuse, lambda: product_outputs(CellAnalyzer()))
    result = {
        "classifier_sha256": sha256_of(WEIGHTS_DIR / "classifier" / "model.safetensors"),
        "patients": len(set(cells["patient"])),
        "folds": args.folds,
        "repeats": args.repeats,
        **study(cells, args.folds, args.repeats),
        "answer_bars": answer_bars(
            cells, read_config(WEIGHTS_DIR / "classifier")["review_threshold"], args.folds, args.repeats
        ),
    }
    OUT_PATH.write_text(json.dumps(result, indent=1) + "\n")
    for name, measured in (result["scores"] | result["answer_bars"]).items():
        print(name, json.dumps(measured))


if __name__ == "__main__":
    main()
