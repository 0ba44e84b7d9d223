"""Metrics of the evaluate command: accuracy counts rejections as wrong; ECE before and after scaling."""

import numpy as np
import pytest

from bcds_core.analysis import CellResult, fill_answer
from bcds_core.evaluation import LabelledResult, ok_answers, summarise, uncalibrated_confidences
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


def test_an_answer_is_wrong_in_the_group_in_the_fine_label_where_known_or_when_missing():
    logits = np.zeros(len(FINE_CLASSES))
    logits[FINE_CLASSES.index("LY")] = 5
    assert not _answered("right.jpg", logits, 1.0, "LY").wrong
    assert _answered("fine.jpg", logits, 1.0, "VLY").wrong
    group_only = _answered("group.jpg", logits, 1.0, "LY")
    group_only.true_label = None
    assert not group_only.wrong
    assert LabelledResult("none.jpg", "lymphocyte", None, CellResult(file="none.jpg", ok=False)).wrong


def test_ok_answers_count_only_ok_answers_and_their_share_in_the_true_group():
    results = [
        CellResult(file="a", ok=True, status="ok", group="lymphocyte"),
        CellResult(file="b", ok=True, status="ok", group="monocyte"),
        CellResult(file="c", ok=True, status="review", group="lymphocyte"),
        CellResult(file="d", ok=False),
    ]
    assert ok_answers(results, ["lymphocyte"] * 4) == {"n_ok": 2, "ok_share": 0.5, "ok_right": 0.5}
    assert ok_answers(results[2:], ["lymphocyte"] * 2)["ok_right"] is None


def test_thumbnails_of_an_earlier_evaluation_are_removed(tmp_path):
    from bcds_core.review_thumbnails import write_error_thumbnails

    stale = tmp_path / "neutrophil__SNE_1__mask.jpg"
    stale.write_bytes(b"old")
    assert write_error_thumbnails(analyzer=None, items=[], out_dir=tmp_path) == 0
    assert not stale.exists()


def test_the_per_class_report_covers_the_classes_held_and_averages_as_the_metrics_do(tmp_path):
    """A PBC folder holds no blasts: rows of zeros for the abnormal classes had pulled the page's
    macro F1 from 0.98 down to 0.66 while metrics.json said 0.98."""
    import json

    from bcds_core.evaluation import write_artifacts

    items = []
    for label, answered in (("LY", "LY"), ("LY", "MO"), ("MO", "MO"), ("MO", "BLAST")):
        logits = np.zeros(len(FINE_CLASSES))
        logits[FINE_CLASSES.index(answered)] = 5
        item = _answered(f"{label}_{answered}.jpg", logits, 1.0, label)
        item.true_group = "lymphocyte" if label == "LY" else "monocyte"
        items.append(item)
    summary = summarise(items)
    write_artifacts(items, summary, tmp_path)
    for level, classes, macro_f1 in (
        ("8", {"lymphocyte", "monocyte"}, "macro_f1_8"),
        ("11", {"LY", "MO"}, "macro_f1_11"),
    ):
        report = json.loads((tmp_path / f"report_{level}.json").read_text())
        assert set(report) - {"accuracy", "micro avg", "macro avg", "weighted avg"} == classes
        assert report["macro avg"]["f1-score"] == pytest.approx(summary[macro_f1])


def test_figures_over_no_cells_are_none_not_zero():
    """Another lab's cells carry no fine labels, and a source may have no ``ok`` answer: 0.0 read
    as "all wrong"."""
    logits = np.zeros(len(FINE_CLASSES))
    logits[FINE_CLASSES.index("LY")] = 5
    group_only = _answered("a.jpg", logits, 1.0, "LY")
    group_only.true_label = None
    group_only.result.status = "review"
    summary = summarise([group_only])
    assert summary["n_fine"] == 0 and summary["accuracy_11"] is None and summary["macro_f1_11"] is None
    assert summary["n_ok"] == 0 and summary["accuracy_8_status_ok"] is None
    assert summary["accuracy_8"] == 1.0
