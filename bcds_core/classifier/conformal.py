"""Sets of plausible groups with a stated coverage (split conformal prediction).

Where the network hesitates, "lymphocyte or monocyte (95 %)" is more useful
than a coin toss. With the least-ambiguous set-valued classifier (Sadinle et
al. 2019; mapie's "lac" method), a group is in the set when its calibrated
probability is at least ``1 - q``, where ``q`` is the conformal quantile of
``1 - P(true group)`` on the validation split. Then the true group is in the
set for at least ``coverage`` of images like the validation images.
"""

from __future__ import annotations

import math

import numpy as np

#: Coverage the candidate sets are fitted for.
COVERAGE = 0.95


def conformal_quantile(true_probabilities: np.ndarray, coverage: float = COVERAGE) -> float:
    """q such that P(true group) >= 1 - q holds for ``coverage`` of new exchangeable images.

    Args:
        true_probabilities: N calibrated probabilities of the true group on held-out images.
    """
    scores = np.sort(1.0 - np.asarray(true_probabilities, float))
    n = len(scores)
    rank = min(n, math.ceil((n + 1) * coverage))
    return float(scores[rank - 1])


def candidate_set(group_probabilities: np.ndarray, quantile: float) -> np.ndarray:
    """Indices of the groups in the set, likeliest first (never empty: the answer is always in)."""
    order = np.argsort(group_probabilities)[::-1]
    keep = group_probabilities[order] >= 1.0 - quantile
    keep[0] = True
    return order[keep]
