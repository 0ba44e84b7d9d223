"""Patient-grouped cross-validation of the abnormal-cell checks and the leukaemia screen (#26).

The shipped network trained on the DeepAPL discovery cohort's train patients;
its validation and test patients (split by patient, ``dataset/deepapl_split.csv``)
are the ones it never learned. Their cells go through the product once. Then,
in each fold of these patients (stratified by diagnosis, folds drawn again in
every repeat), the abnormal thresholds and the exclusion bar are fitted on the
other folds' cells exactly as the release step fits them on the validation
patients (``fit_abnormal_thresholds``) and measured on the held-out patients:
blasts caught, normal cells flagged, confident normal answers right below the
bar, each patient's screen and ``apl_score``. The healthy-batch screen (PBC test
cells, healthy donors) is measured with each fold's thresholds too, and so are
batches of 100 normal cells drawn from the held-out patients: the nearest this
cohort comes to a healthy sample of another hospital (they are normal cells of
leukaemia patients).

The ROC of the blast probability over all these patients needs no fitting: it
says which (blasts caught, normal cells flagged) pairs any threshold can reach.

Not cross-validated here: the network itself. Its train patients are left out
because their cells were learned; a network per fold is one training each.

Usage: .venv/bin/python -m scripts.screening_cv [--folds 6] [--repeats 5] [--reuse]
           [--screen-budget 0.03 --out reports/screening_cv.json]
  -> reports/screening_cv.json (per-cell outputs kept in runs/screening_cv/cells.npz)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import RepeatedStratifiedKFold

from bcds_core.analysis import CellAnalyzer, CellResult
from bcds_core.classifier.abnormal_thresholds import SCREEN_FLAG_BUDGET, AbnormalThresholds, abnormal_mass
from bcds_core.classifier.answer_checks import fit_abnormal_thresholds
from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.deepapl import read_manifest
from bcds_core.paths import REPORTS_DIR, RUNS_DIR, WEIGHTS_DIR
from bcds_core.screening import BLAST_EQUIVALENTS, NOT_WHITE_CELLS, SUSPECT_MIN_CELLS, screen
from bcds_core.splits import read_split_csv
from bcds_core.taxonomy import ABNORMAL_GROUPS, FINE_CLASSES, GROUPS
from bcds_core.training_sources import training_source
from bcds_core.weights_io import sha256_of
from scripts.evaluate_sources import HEALTHY_BATCH, analyzed, healthy_batches, source_rows

OUT_PATH = REPORTS_DIR / "screening_cv.json"
CELLS_PATH = RUNS_DIR / "screening_cv" / "cells.npz"
#: The issue's cell-level goal: blasts caught at most this share of normal cells flagged.
NORMAL_FLAG_BUDGET = 0.05
BLAST_GOAL = 0.90
#: Batches of ``HEALTHY_BATCH`` held-out normal cells drawn per fold (each batch without repeats).
NORMAL_BATCH_DRAWS = 20


def product_outputs(analyzer: CellAnalyzer) -> dict[str, np.ndarray]:
    """Calibrated fine probabilities, rejection and truth of the held-out patients' and PBC test cells."""
    deepapl = held_out_deepapl_rows()
    pbc_root, pbc = source_rows(argparse.Namespace(limit=None))["pbc_test"]
    outputs = {}
    for name, root, rows in (
        ("deepapl", training_source("deepapl").image_root(), deepapl),
        ("pbc", pbc_root, pbc),
    ):
        items = analyzed(analyzer, root, rows)
        outputs[f"{name}_fine"] = np.stack(
            [
                i.result.fine_probabilities
                if i.result.fine_probabilities is not None
                else np.zeros(len(FINE_CLASSES))
                for i in items
            ]
        )
        outputs[f"{name}_rejected"] = np.array([i.result.status == "rejected" for i in items])
        outputs[f"{name}_truth"] = np.array([i.true_group for i in items])
    outputs["deepapl_patient"], outputs["deepapl_diagnosis"] = patients_and_diagnoses(deepapl)
    return outputs


def held_out_deepapl_rows() -> list[tuple[str, str, str | None]]:
    """(path, group, fine label) of the discovery cohort's cells whose patients the network never
    trained on: the patient-level validation and test splits of ``deepapl_split.csv``."""
    return [
        (r.path, r.group, r.label)
        for r in read_split_csv(training_source("deepapl").split_csv)
        if r.split in ("val", "test")
    ]


def patients_and_diagnoses(rows: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's patient and diagnosis, from the discovery cohort's manifest."""
    patients = {c.file_name: c for c in read_manifest()}
    return (
        np.array([patients[row[0]].patient for row in rows]),
        np.array([patients[row[0]].diagnosis for row in rows]),
    )


def answered_groups(fine: np.ndarray, thresholds: AbnormalThresholds) -> np.ndarray:
    """N group indices: each cell's answer under ``thresholds``."""
    return thresholds.answers(fine @ GROUP_MATRIX)


def screens(
    fine: np.ndarray, rejected: np.ndarray, answered: np.ndarray, thresholds: AbnormalThresholds
) -> dict:
    """The screen of one sample's cells, with their answered group indices."""
    likely = thresholds.likely_blast_equivalent(fine @ GROUP_MATRIX)
    results = [
        CellResult(
            str(index),
            True,
            group=GROUPS[a],
            status="review",
            fine_probabilities=f,
            likely_blast_equivalent=k,
        )
        for index, (f, a, k, gone) in enumerate(zip(fine, answered, likely, rejected, strict=True))
        if not gone
    ]
    return screen(results, thresholds.screen_bar).to_json()


def simpler_apl_scores(fine: np.ndarray, rejected: np.ndarray, answered: np.ndarray) -> dict[str, float]:
    """Two simpler alternatives to ``apl_score``, of one patient's white cells."""
    names = np.array(GROUPS)[answered]
    white = ~rejected & ~np.isin(names, NOT_WHITE_CELLS)
    return {
        "mean_abnormal_promyelocyte_probability": float(fine[white, FINE_CLASSES.index("ABPMY")].mean()),
        "abnormal_promyelocyte_answers": float((names[white] == "abnormal_promyelocyte").mean()),
    }


def cell_measures(
    fine: np.ndarray, truth: np.ndarray, answered: np.ndarray, thresholds: AbnormalThresholds, review: float
) -> dict:
    """Counts on held-out cells: blasts caught, normal cells flagged, confident normal answers kept and right."""
    groups = fine @ GROUP_MATRIX
    reached = thresholds.reached(groups)
    blasts, normal = truth == "blast", ~np.isin(truth, ABNORMAL_GROUPS)
    confidence = groups[np.arange(len(groups)), answered]
    names = np.array(GROUPS)[answered]
    kept = (
        (confidence >= review)
        & ~np.isin(names, ABNORMAL_GROUPS)
        & ~reached.any(1)
        & (abnormal_mass(groups) < thresholds.exclusion)
    )
    return {
        "blasts": int(blasts.sum()),
        "blasts_caught": int(reached[blasts, ABNORMAL_GROUPS.index("blast")].sum()),
        "normal_cells": int(normal.sum()),
        "normal_flagged": int(reached[normal].any(1).sum()),
        "normal_flagged_as_blast": int(reached[normal, ABNORMAL_GROUPS.index("blast")].sum()),
        "kept": int(kept.sum()),
        "kept_right": int((names[kept] == truth[kept]).sum()),
        "cells": len(truth),
        "right": int((names == truth).sum()),
        "normal_right": int((names[normal] == truth[normal]).sum()),
    }


def patient_folds(patient: np.ndarray, diagnosis: np.ndarray, folds: int, repeats: int):
    """(repeat, fitting cells, held-out cells) per fold: folds of patients, stratified by diagnosis,
    drawn again in every repeat; each repeat holds every patient out once."""
    people = np.array(sorted(set(patient)))
    people_diagnosis = np.array([diagnosis[patient == p][0] for p in people])
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
    for number, (fit_people, held_people) in enumerate(splitter.split(people, people_diagnosis)):
        yield number // folds, np.isin(patient, people[fit_people]), np.isin(patient, people[held_people])


def cross_validate(
    cells: dict[str, np.ndarray], review: float, folds: int, repeats: int, screen_budget: float
) -> dict:
    """Fit on the other folds' patients, measure on the held-out ones; every repeat covers each patient once."""
    patient, diagnosis = cells["deepapl_patient"], cells["deepapl_diagnosis"]
    fine, truth, rejected = cells["deepapl_fine"], cells["deepapl_truth"], cells["deepapl_rejected"]
    usable = ~rejected
    batches = healthy_batches(len(cells["pbc_fine"]))
    draws = np.random.default_rng(0)
    runs = [dict() for _ in range(repeats)]
    for repeat, fitting, held in patient_folds(patient, diagnosis, folds, repeats):
        run = runs[repeat]
        fit = fitting & usable
        thresholds = fit_abnormal_thresholds(fine[fit] @ GROUP_MATRIX, truth[fit], review, screen_budget)
        answered = np.zeros(len(fine), int)
        answered[held] = answered_groups(fine[held], thresholds)
        kept = held & usable
        for key, value in cell_measures(fine[kept], truth[kept], answered[kept], thresholds, review).items():
            run[key] = run.get(key, 0) + value
        run.setdefault("blast_thresholds", []).append(round(thresholds.thresholds["blast"], 4))
        run.setdefault("exclusion_bars", []).append(thresholds.exclusion)
        for p in sorted(set(patient[held])):
            own = patient == p
            summary = screens(fine[own], rejected[own], answered[own], thresholds)
            run.setdefault("patients", []).append(
                {
                    "patient": str(p),
                    "diagnosis": str(diagnosis[own][0]),
                    "labelled_blast_equivalents": int(np.isin(truth[own], BLAST_EQUIVALENTS).sum()),
                    "blast_fraction": summary["blast_fraction"],
                    "leukaemia_suspected": summary["leukaemia_suspected"],
                    "apl_score": summary["apl_score"],
                    **{
                        f"apl_{k}": v
                        for k, v in simpler_apl_scores(fine[own], rejected[own], answered[own]).items()
                    },
                }
            )
        pbc_answered = answered_groups(cells["pbc_fine"], thresholds)
        run.setdefault("healthy_suspected", []).append(
            sum(
                screens(cells["pbc_fine"][b], cells["pbc_rejected"][b], pbc_answered[b], thresholds)[
                    "leukaemia_suspected"
                ]
                for b in batches
            )
        )
        normal = np.flatnonzero(held & usable & ~np.isin(truth, ABNORMAL_GROUPS))
        run.setdefault("normal_batches_suspected", []).append(
            sum(
                screens(fine[b], rejected[b], answered[b], thresholds)["leukaemia_suspected"]
                for b in (
                    draws.choice(normal, HEALTHY_BATCH, replace=len(normal) < HEALTHY_BATCH)
                    for _ in range(NORMAL_BATCH_DRAWS)
                )
            )
        )
    return summarise_runs(runs)


def summarise_runs(runs: list[dict]) -> dict:
    """Per repeat: pooled held-out rates; then their mean and standard deviation over repeats."""
    per_repeat = []
    for run in runs:
        labels = [p["diagnosis"] == "APL" for p in run["patients"]]
        aurocs = {
            key: float(roc_auc_score(labels, [p[key] for p in run["patients"]]))
            for key in run["patients"][0]
            if key.startswith("apl_") and all(p[key] is not None for p in run["patients"])
        }
        per_repeat.append(
            {
                "blasts_caught": run["blasts_caught"] / run["blasts"],
                "normal_flagged": run["normal_flagged"] / run["normal_cells"],
                "normal_flagged_as_blast": run["normal_flagged_as_blast"] / run["normal_cells"],
                "group_accuracy": run["right"] / run["cells"],
                "normal_group_accuracy": run["normal_right"] / run["normal_cells"],
                "confident_normal_kept": run["kept"],
                "confident_normal_right": run["kept_right"] / max(run["kept"], 1),
                "patients_suspected": sum(p["leukaemia_suspected"] for p in run["patients"]),
                "patients_with_blasts_suspected": sum(
                    p["leukaemia_suspected"]
                    for p in run["patients"]
                    if p["labelled_blast_equivalents"] >= SUSPECT_MIN_CELLS
                ),
                "healthy_batches_suspected_per_fold": run["healthy_suspected"],
                "normal_batches_suspected_per_fold": run["normal_batches_suspected"],
                "apl_vs_aml_auroc": aurocs,
                "blast_thresholds": run["blast_thresholds"],
                "exclusion_bars": run["exclusion_bars"],
            }
        )
    rates = (
        "blasts_caught",
        "normal_flagged",
        "normal_flagged_as_blast",
        "confident_normal_right",
        "group_accuracy",
        "normal_group_accuracy",
    )
    return {
        "repeats": per_repeat,
        "mean": {k: float(np.mean([r[k] for r in per_repeat])) for k in rates},
        "sd": {k: float(np.std([r[k] for r in per_repeat])) for k in rates},
        "patients": len(runs[0]["patients"]),
        "patients_with_blasts": sum(
            p["labelled_blast_equivalents"] >= SUSPECT_MIN_CELLS for p in runs[0]["patients"]
        ),
        "cells": {"blasts": runs[0]["blasts"], "normal": runs[0]["normal_cells"]},
        "first_repeat_patients": runs[0]["patients"],
    }


def blast_roc(cells: dict[str, np.ndarray]) -> dict:
    """What any blast threshold reaches on these patients: the ROC, and the two goal-side points."""
    keep = ~cells["deepapl_rejected"]
    truth = cells["deepapl_truth"][keep]
    scored = (truth == "blast") | ~np.isin(truth, ABNORMAL_GROUPS)
    score = (cells["deepapl_fine"][keep] @ GROUP_MATRIX)[scored, GROUPS.index("blast")]
    return goal_points(truth[scored] == "blast", score)


def goal_points(is_blast: np.ndarray, score: np.ndarray) -> dict:
    """AUROC of a blast score (blasts against normal cells), and the ROC's own points on the two sides
    of the cell goal: blasts caught with at most ``NORMAL_FLAG_BUDGET`` of normal cells flagged, and
    normal cells flagged to catch ``BLAST_GOAL`` of blasts. Every patient study reads them here."""
    false_positive, true_positive, _ = roc_curve(is_blast, score)
    return {
        "auroc": float(roc_auc_score(is_blast, score)),
        "blasts_caught_at_5pct_normal_flagged": float(
            true_positive[false_positive <= NORMAL_FLAG_BUDGET].max()
        ),
        "normal_flagged_at_90pct_blasts_caught": float(false_positive[true_positive >= BLAST_GOAL].min()),
    }


def patient_study_arguments() -> argparse.Namespace:
    """The options of a patient-grouped study: folds, repeats, and reusing the last product pass."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse the per-cell outputs of an earlier run")
    parser.add_argument(
        "--screen-budget",
        type=float,
        default=SCREEN_FLAG_BUDGET,
        help="share of normal cells reaching the screening bar (0: the screen counts answered cells only)",
    )
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    return parser.parse_args()


def kept_outputs(
    path: Path, reuse: bool, compute: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The per-cell outputs kept at ``path`` by an earlier run where ``reuse`` asks for them, else
    ``compute``'s, kept there: a product pass costs tens of minutes, the folds seconds."""
    if reuse and path.exists():
        return dict(np.load(path))
    cells = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **cells)
    return cells


def main() -> None:
    args = patient_study_arguments()
    analyzer = CellAnalyzer()
    cells = kept_outputs(CELLS_PATH, args.reuse, lambda: product_outputs(analyzer))
    result = {
        "classifier_sha256": sha256_of(WEIGHTS_DIR / "classifier" / "model.safetensors"),
        "folds": args.folds,
        "blast_roc_all_held_out_patients": blast_roc(cells),
        "screen_budget": args.screen_budget,
        "normal_batch_draws": NORMAL_BATCH_DRAWS,
        **cross_validate(cells, analyzer.review_threshold, args.folds, args.repeats, args.screen_budget),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("repeats", "first_repeat_patients")}))


if __name__ == "__main__":
    main()
