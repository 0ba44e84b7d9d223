"""The patient-grouped studies: folds never split a patient, and their measures mean what they say."""

import numpy as np

from bcds_core.taxonomy import FINE_CLASSES
from scripts.blast_score_study import answer_bars, roc_points
from scripts.screening_cv import patient_folds


def toy_cohort(patients: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """(patient, diagnosis) per cell: every third patient APL."""
    patient = np.repeat([f"P{i}" for i in range(patients)], cells)
    diagnosis = np.repeat(["APL" if i % 3 == 0 else "AML" for i in range(patients)], cells)
    return patient, diagnosis


def test_each_repeat_holds_every_patient_out_once_and_never_splits_one():
    patient, diagnosis = toy_cohort(12, 5)
    held_count = np.zeros((2, len(patient)), int)
    for repeat, fit, held in patient_folds(patient, diagnosis, folds=4, repeats=2):
        assert not (fit & held).any() and (fit | held).all()
        assert set(patient[fit]).isdisjoint(patient[held])
        assert sorted(set(diagnosis[held])) == ["AML", "APL"]  # stratified: one APL patient per fold
        held_count[repeat] += held
    assert (held_count == 1).all()


def test_roc_points_of_a_perfect_and_a_useless_score():
    is_blast = np.array([True] * 50 + [False] * 100)
    perfect = roc_points(is_blast.astype(float), is_blast, ~is_blast)
    assert perfect["auroc"] == 1.0 and perfect["blasts_caught_at_5pct_normal_flagged"] == 1.0
    assert perfect["normal_flagged_at_90pct_blasts_caught"] == 0.0
    useless = roc_points(np.zeros(len(is_blast)), is_blast, ~is_blast)
    assert useless["auroc"] == 0.5 and useless["blasts_caught_at_5pct_normal_flagged"] == 0.0


def test_a_stricter_answer_bar_trades_blasts_named_for_normal_cells_right():
    """Lymphocytes of moderate blast probability are answered blast at the release's flag
    threshold, and lymphocyte under a bar few normal cells reach, which fewer blasts reach too."""
    rng = np.random.default_rng(0)
    patient, diagnosis = toy_cohort(12, 40)
    truth = np.where(np.arange(len(patient)) % 2 == 0, "blast", "lymphocyte")
    blast_share = np.where(
        truth == "blast", rng.uniform(0.3, 0.9, len(truth)), rng.uniform(0.0, 0.6, len(truth))
    )
    fine = np.full((len(patient), len(FINE_CLASSES)), 1e-4)
    fine[:, FINE_CLASSES.index("BLAST")] = blast_share
    fine[:, FINE_CLASSES.index("LY")] = 1 - blast_share
    cells = {"fine": fine, "truth": truth, "patient": patient, "diagnosis": diagnosis}
    cells["rejected"] = np.zeros(len(patient), bool)
    bars = answer_bars(cells, review=0.5, folds=4, repeats=1)
    assert bars["0.0025"]["normal_group_accuracy"] > bars["release"]["normal_group_accuracy"]
    assert bars["0.0025"]["blast_answered_blast"] < bars["release"]["blast_answered_blast"]
