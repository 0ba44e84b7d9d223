"""Metrics of the classifier on a labelled folder, and the files for the review page.

Accuracy counts every indexed image: an image the pipeline rejects without a
class counts as wrong, so rejecting is never a way to look better. The
11-class metrics use the images with a fine label (not NEUTROPHIL/IG only).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score

from bcds_core.analysis import CellResult
from bcds_core.classifier.calibration import expected_calibration_error
from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.taxonomy import FINE_CLASSES, GROUPS

NO_ANSWER = "none"


@dataclass
class LabelledResult:
    """A pipeline result with the truth from the folder layout."""

    path: str
    true_group: str
    true_label: str | None
    result: CellResult

    @property
    def wrong(self) -> bool:
        """The answer misses the true group, or the true fine label where the folder gives one.

        An image without an answer is wrong.
        """
        result = self.result
        return result.group != self.true_group or bool(self.true_label and result.label != self.true_label)


def ok_answers(results: list[CellResult], true_groups: list[str]) -> dict:
    """How the ``ok`` answers fare: ``n_ok``, their ``ok_share`` of all the answers, and
    ``ok_right``, the share of them in the true group (None without any ``ok`` answer)."""
    ok = np.array([r.status == "ok" for r in results])
    right = np.array([r.group == truth for r, truth in zip(results, true_groups, strict=True)])
    return {
        "n_ok": int(ok.sum()),
        "ok_share": float(ok.mean()),
        "ok_right": float(right[ok].mean()) if ok.any() else None,
    }


def uncalibrated_confidences(items: list[LabelledResult], temperature: float) -> tuple[list, list]:
    """Group and fine confidences of each answer before temperature scaling.

    Calibrated probabilities are softmax(z / T); T * log of them is z up to a
    constant, so softmax of that gives back the network's own probabilities.
    Items without an answer get 0.
    """
    conf8, conf11 = [], []
    for item in items:
        fine = item.result.fine_probabilities
        if fine is None or item.result.label is None:
            conf8.append(0.0)
            conf11.append(0.0)
            continue
        logits = temperature * np.log(np.clip(fine, 1e-12, 1.0))
        raw = np.exp(logits - logits.max())
        raw /= raw.sum()
        conf8.append(float((raw @ GROUP_MATRIX)[GROUPS.index(item.result.group)]))
        conf11.append(float(raw[FINE_CLASSES.index(item.result.label)]))
    return conf8, conf11


def present(classes: tuple[str, ...], truth: list[str]) -> list[str]:
    """The classes that occur in ``truth``, in taxonomy order: a macro average over the classes a
    folder holds (PBC's 8 groups and 11 classes), not over classes it cannot hold."""
    found = set(truth)
    return [c for c in classes if c in found]


def summarise(items: list[LabelledResult], temperature: float | None = None) -> dict:
    """The contract's metrics: n, accuracy_8/11, macro_f1_8/11, ece_8/11, n_review, n_rejected; a
    figure over no cells (the 11 classes of another lab's images, the ``ok`` answers where none is) is None.

    With the classifier's ``temperature``, also the ECE before temperature scaling
    (``ece_8_uncalibrated``, ``ece_11_uncalibrated``).
    """
    true8 = [i.true_group for i in items]
    pred8 = [i.result.group or NO_ANSWER for i in items]
    fine_items = [i for i in items if i.true_label]
    true11 = [i.true_label for i in fine_items]
    pred11 = [i.result.label or NO_ANSWER for i in fine_items]
    conf8 = [i.result.group_confidence or 0.0 for i in items]
    conf11 = [i.result.label_confidence or 0.0 for i in fine_items]
    hits8 = np.array(true8) == np.array(pred8)
    hits11 = np.array(true11) == np.array(pred11)
    answered_ok = np.array([i.result.status == "ok" for i in items])
    summary = {
        "n": len(items),
        "n_fine": len(fine_items),
        "accuracy_8": float(hits8.mean()) if items else 0.0,
        "accuracy_11": float(hits11.mean()) if fine_items else None,  # not 0.0: none was wrong either
        "macro_f1_8": float(
            f1_score(true8, pred8, labels=present(GROUPS, true8), average="macro", zero_division=0)
        ),
        "macro_f1_11": float(
            f1_score(true11, pred11, labels=present(FINE_CLASSES, true11), average="macro", zero_division=0)
        )
        if fine_items
        else None,
        "ece_8": expected_calibration_error(conf8, hits8),
        "ece_11": expected_calibration_error(conf11, hits11) if fine_items else None,
        "n_ok": int(answered_ok.sum()),
        "n_review": int(sum(i.result.status == "review" for i in items)),
        "n_rejected": int(sum(i.result.status == "rejected" for i in items)),
        "n_errors": int(sum(not i.result.ok for i in items)),
        "accuracy_8_status_ok": float(hits8[answered_ok].mean()) if answered_ok.any() else None,
    }
    if temperature is not None:
        raw8, raw11 = uncalibrated_confidences(items, temperature)
        fine_rows = [bool(i.true_label) for i in items]
        summary["ece_8_uncalibrated"] = expected_calibration_error(raw8, hits8)
        summary["ece_11_uncalibrated"] = (
            expected_calibration_error(np.array(raw11)[fine_rows], hits11) if fine_items else None
        )
        summary["temperature"] = temperature
    return summary


def write_artifacts(items: list[LabelledResult], summary: dict, out_dir: Path) -> None:
    """Confusion matrices, per-class reports, all predictions and the misclassified list; the metrics last,
    so that a folder whose ``metrics.json`` is new holds the new files beside it.

    Another lab's cells (``<group>/<any name>``) have no fine labels: their 11-class matrix is all
    zeros and their report empty, rather than scikit-learn's error on an empty list. A report has a
    row per class the folder holds, and its macro average is over those (as ``summarise``'s), not
    over classes such as blast that PBC cannot hold.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    fine_items = [i for i in items if i.true_label]
    for name, labels, truth, predicted in (
        ("8", list(GROUPS), [i.true_group for i in items], [i.result.group or NO_ANSWER for i in items]),
        (
            "11",
            list(FINE_CLASSES),
            [i.true_label for i in fine_items],
            [i.result.label or NO_ANSWER for i in fine_items],
        ),
    ):
        columns = labels + [NO_ANSWER]
        matrix = (
            confusion_matrix(truth, predicted, labels=columns)[: len(labels)]
            if truth
            else np.zeros((len(labels), len(columns)), int)
        )
        with open(out_dir / f"confusion_{name}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["true\\predicted", *columns])
            writer.writerows([[label, *row] for label, row in zip(labels, matrix.tolist(), strict=True)])
        report = (
            classification_report(
                truth, predicted, labels=present(tuple(labels), truth), output_dict=True, zero_division=0
            )
            if truth
            else {}
        )
        (out_dir / f"report_{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    fields = [
        "path",
        "true_group",
        "true_label",
        "group",
        "label",
        "group_confidence",
        "label_confidence",
        "top",
        "status",
        "message",
    ]
    with (
        open(out_dir / "predictions.csv", "w", newline="") as all_handle,
        open(out_dir / "misclassified.csv", "w", newline="") as wrong_handle,
    ):
        writers = [csv.DictWriter(h, fieldnames=fields) for h in (all_handle, wrong_handle)]
        for writer in writers:
            writer.writeheader()
        for item in items:
            r = item.result
            row = {
                "path": item.path,
                "true_group": item.true_group,
                "true_label": item.true_label or "",
                "group": r.group or "",
                "label": r.label or "",
                "group_confidence": r.group_confidence,
                "label_confidence": r.label_confidence,
                "top": json.dumps(r.top),
                "status": r.status,
                "message": r.message,
            }
            writers[0].writerow(row)
            if item.wrong:
                writers[1].writerow(row)
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
