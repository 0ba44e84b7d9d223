"""Metrics of the evaluate command: accuracy counts rejections as wrong; ECE before and after scaling."""

import numpy as np
import pytest

from bcds_core.analysis import CellResult, fill_answer
from bcds_core.evaluation import LabelledResult, summarise, uncalibrated_confidences
from bcds_core.taxonomy import FINE_CLASSES


def _answered(path: str, logits: np.ndarray, temperature: float, true_label: str) -> LabelledResult:
    scaled = np.exp(logits / temperature)
    result = CellResult(file=path, ok=True, status="ok")
    fill_answer(result, scaled / scaled.sum())
    return LabelledResult(path, "lymphocyte", true_label, result)


def test_uncalibrated_confidences_undo_the_temperature():
    logits = np.linspace(-2, 3, len(FINE_CLASSES))
    logits[FINE_CLASSES.index("LY")] = 5
    item = _answered("a.jpg", logits, temperature=2.5, true_label="LY")
    raw = np.exp(logits) / np.exp(logits).sum()
    _, conf11 = uncalibrated_confidences([item], 2.5)
    assert conf11[0] == pytest.approx(raw[FINE_CLASSES.index(item.result.label)], rel=1e-6)
    assert item.result.label_confidence < conf11[0]


def test_a_rejected_image_counts_as_wrong_and_has_zero_confidence():
    logits = np.zeros(len(FINE_CLASSES))
    logits[FINE_CLASSES.index("LY")] = 5
    right = _answered("right.jpg", logits, 1.0, "LY")
    rejected = LabelledResult("rejected.jpg", "lymphocyte", "LY", CellResult(file="rejected.jpg", ok=False))
    summary = summarise([right, rejected], temperature=1.0)
    assert summary["accuracy_8"] == 0.5 and summary["accuracy_11"] == 0.5
    assert summary["n_rejected"] == 1 and summary["n"] == 2
    assert summary["ece_11"] == pytest.approx(summary["ece_11_uncalibrated"], abs=1e-3)  # T = 1


def test_thumbnails_of_an_earlier_evaluation_are_removed(tmp_path):
    from bcds_core.review_thumbnails import write_error_thumbnails

    stale = tmp_path / "neutrophil__SNE_1__mask.jpg"
    stale.write_bytes(b"old")
    assert write_error_thumbnails(analyzer=None, items=[], out_dir=tmp_path) == 0
    assert not stale.exists()
