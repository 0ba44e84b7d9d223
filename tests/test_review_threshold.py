"""The review threshold: the lowest group confidence at which every validation source's answers are 97 % right."""

from __future__ import annotations

import numpy as np

from bcds_core.classifier.calibration import review_threshold
from bcds_core.taxonomy import FINE_CLASSES

LY, MO, SNE, BNE = (FINE_CLASSES.index(c) for c in ("LY", "MO", "SNE", "BNE"))


def answers(confidence: float, count: int, rival: int, own: int = LY) -> np.ndarray:
    """``count`` rows of calibrated probabilities: ``own`` at ``confidence``, the rest on ``rival``."""
    fine = np.zeros((count, len(FINE_CLASSES)))
    fine[:, own], fine[:, rival] = confidence, 1 - confidence
    return fine


def test_the_less_accurate_source_sets_the_threshold():
    # source "a": 2,000 right answers at 0.655; source "b": 50 wrong ones at 0.705 and 100 right at 0.95
    fine = np.concatenate([answers(0.655, 2000, MO), answers(0.705, 50, MO), answers(0.95, 100, MO)])
    truth = np.array(["lymphocyte"] * 2000 + ["monocyte"] * 50 + ["lymphocyte"] * 100)
    sources = np.array(["a"] * 2000 + ["b"] * 150)
    assert review_threshold(fine[:2000], truth[:2000], sources[:2000]) == 0.30
    assert review_threshold(fine, truth, sources) == 0.71
    assert review_threshold(fine, truth, np.zeros(len(truth))) == 0.30  # the mix would have let "b" borrow


def test_the_group_is_what_must_be_right():
    # band and segmented neutrophil split 0.5 / 0.45: the fine class is a coin toss, the group is sure
    fine = answers(0.5, 40, BNE, own=SNE)
    fine[:, SNE], fine[:, BNE], fine[:, LY] = 0.5, 0.45, 0.05
    assert review_threshold(fine, np.array(["neutrophil"] * 40), np.zeros(40)) == 0.30
