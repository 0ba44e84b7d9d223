"""Sets of plausible groups with a stated coverage (split conformal prediction).

Where the network hesitates, "lymphocyte or monocyte (95 %)" is more useful
than a coin toss. With adaptive prediction sets (Romano et al. 2020, "APS";
mapie's "aps" method, without its random tie-breaking), the groups are taken
from the likeliest down while the probability of the groups ranked above
them stays within ``q``, where ``q`` is the conformal quantile, on the
validation split, of the probability ranked above the true group. The true
group is in the set exactly when its score is within ``q``, so it is in the set
for at least ``coverage`` of images like the validation images; a confident
answer gets a set of one, a hesitant one a set of two or more, and no set is
empty.
"""

from __future__ import annotations

import math

import numpy as np

#: Coverage the candidate sets are fitted for.
COVERAGE = 0.95


def mass_to_true(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """N scores: the summed probability of the groups ranked above each true group.

    Args:
        probabilities: N x G calibrated group probabilities.
        truth: N indices of the true groups.
    """
    true = probabilities[np.arange(len(truth)), truth]
    return np.where(probabilities > true[:, None], probabilities, 0.0).sum(1)


def conformal_quantile(scores: np.ndarray, coverage: float = COVERAGE) -> float:
    """The ceil((n + 1) * coverage)-th smallest of n held-out scores (the split-conformal quantile)."""
    ordered = np.sort(np.asarray(scores, float))
    rank = min(len(ordered), math.ceil((len(ordered) + 1) * coverage))
    return float(ordered[rank - 1])


def candidate_set(group_probabilities: np.ndarray, quantile: float) -> np.ndarray:
    """Indices of the groups in the set, likeliest first: each group whose higher-ranked mass is within ``quantile``."""
    order = np.argsort(group_probabilities)[::-1]
    above = np.cumsum(group_probabilities[order]) - group_probabilities[order]
    return order[above <= quantile + 1e-9]
