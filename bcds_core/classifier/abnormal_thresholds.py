"""When does an abnormal group win, or raise a flag? Operating points chosen on patients' cells.

The softmax's argmax treats every class alike, but the errors do not cost the
same: a blast answered "monocyte" is the worst error bcds can make, while a
normal lymphocyte of a leukaemia patient answered "variant lymphocyte" is a
false alarm that buries the real ones. Each abnormal group therefore gets its
own probability threshold, fitted on the patients of the sources that have
abnormal cells whom the network did not train on (``fit_answer_checks``):

- blast: the highest threshold that still catches ``BLAST_SENSITIVITY`` of
  their blasts (answered or flagged);
- the other abnormal groups: the lowest threshold at which at most
  ``FALSE_FLAG_BUDGET`` of the same patients' normal cells reach it.

An abnormal group is answered only when it is the likeliest group *and* at or
above its threshold (otherwise the likeliest normal group is), and it is
flagged on any answer when at or above its threshold.

A normal answer that is confident and raises no flag can still hide an
abnormal cell: a blast read as a lymphocyte with the blast's share spread over
the four abnormal groups. So an answer is ``ok`` only where the abnormal
groups *together* stay below an exclusion bar, the highest bar at which the
same patients' confident normal answers are ``EXCLUSION_TARGET`` right.
Healthy cells of PBC hold almost no abnormal probability, so the bar costs
them little.

The leukaemia screen (``bcds_core.screening``) counts, beside the cells answered
as a blast or abnormal promyelocyte, the cells whose probability of being one
(the two groups together) reaches a screening bar: the level that
``SCREEN_FLAG_BUDGET`` of the same patients' normal cells reach. A blast read
as a monocyte with 40 % blast probability then still counts for its sample,
while a single cell's answer stays the likeliest group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bcds_core.taxonomy import ABNORMAL_GROUPS, GROUPS

#: Share of the fitting patients' blasts the blast threshold keeps (answered or flagged).
BLAST_SENSITIVITY = 0.92
#: Share of the same patients' normal cells each other abnormal group may flag.
FALSE_FLAG_BUDGET = 0.01
#: Threshold of a release fitted before thresholds existed, or of a group without fitting cells.
DEFAULT_THRESHOLD = 0.2
#: Group accuracy the confident normal answers of the fitting patients must reach below the exclusion bar
#: (the review threshold's target, ``calibration.REVIEW_TARGET_ACCURACY``).
EXCLUSION_TARGET = 0.97
#: Exclusion bars tried, highest first; 1.0 is no bar (a release fitted before the bar existed).
EXCLUSION_BARS = (1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05, 0.03, 0.02, 0.01)
#: Share of the fitting patients' normal cells whose blast-equivalent probability reaches the screening bar:
#: #26's false-alarm budget for normal cells. Patient-grouped cross-validation of 1-5 %
#: (``scripts/screening_cv.py``, ``docs/robustness.md``): only 5 % suspects every patient with blasts.
SCREEN_FLAG_BUDGET = 0.05
#: The groups whose probability the screening bar is set on: blasts and their APL equivalent.
BLAST_EQUIVALENTS = ("blast", "abnormal_promyelocyte")
ABNORMAL_INDICES = np.array([GROUPS.index(g) for g in ABNORMAL_GROUPS])
BLAST_EQUIVALENT_INDICES = np.array([GROUPS.index(g) for g in BLAST_EQUIVALENTS])


@dataclass(frozen=True)
class AbnormalThresholds:
    """Probability thresholds of the abnormal groups, keyed by group name; the exclusion bar of
    ``ok`` answers; the screening bar (None: a release fitted before it existed, whose screen counts
    answered cells only)."""

    thresholds: dict[str, float]
    exclusion: float = 1.0
    screen_bar: float | None = None

    @classmethod
    def default(cls) -> AbnormalThresholds:
        return cls({g: DEFAULT_THRESHOLD for g in ABNORMAL_GROUPS})

    def with_exclusion(self, group_probabilities: np.ndarray, truth: np.ndarray, review_threshold: float):
        """These thresholds with the exclusion bar fitted on patients' cells (no bar without any).

        Args:
            group_probabilities: N x groups calibrated probabilities.
            truth: N true group names.
            review_threshold: the release's; the bar is fitted on the answers whose group reaches it.
        """
        answers = self.answers(group_probabilities)
        answered = np.array(GROUPS)[answers]
        confident = group_probabilities[np.arange(len(answers)), answers] >= review_threshold
        candidates = (
            confident & ~np.isin(answered, ABNORMAL_GROUPS) & ~self.reached(group_probabilities).any(1)
        )
        if not candidates.any():
            return self
        mass = abnormal_mass(group_probabilities)
        for bar in EXCLUSION_BARS:
            kept = candidates & (mass < bar)
            if kept.any() and (answered[kept] == truth[kept]).mean() >= EXCLUSION_TARGET:
                return replace(self, exclusion=bar)
        return replace(self, exclusion=EXCLUSION_BARS[-1])

    @classmethod
    def fit(
        cls, group_probabilities: np.ndarray, truth: np.ndarray, screen_budget: float = SCREEN_FLAG_BUDGET
    ) -> AbnormalThresholds:
        """Fit on N x groups calibrated probabilities of the fitting patients' cells and N true group
        names; ``screen_budget`` 0 fits no screening bar (the screen counts answered cells only)."""
        normal = ~np.isin(truth, ABNORMAL_GROUPS)
        thresholds = {}
        for group, column in zip(ABNORMAL_GROUPS, ABNORMAL_INDICES, strict=True):
            scores = group_probabilities[:, column]
            positives = scores[truth == group]
            if group == "blast" and len(positives):
                thresholds[group] = float(np.quantile(positives, 1 - BLAST_SENSITIVITY))
            elif normal.any():
                thresholds[group] = float(np.quantile(scores[normal], 1 - FALSE_FLAG_BUDGET))
            else:
                thresholds[group] = DEFAULT_THRESHOLD
        screen_bar = (
            float(np.quantile(blast_equivalent_probability(group_probabilities[normal]), 1 - screen_budget))
            if normal.any() and screen_budget > 0
            else None
        )
        return cls(thresholds, screen_bar=screen_bar)

    def reached(self, group_probabilities: np.ndarray) -> np.ndarray:
        """N x abnormal groups bool: each group's probability at or above its threshold."""
        limits = np.array([self.thresholds[g] for g in ABNORMAL_GROUPS])
        return np.atleast_2d(group_probabilities)[:, ABNORMAL_INDICES] >= limits

    def answers(self, group_probabilities: np.ndarray) -> np.ndarray:
        """N answered group indices: the likeliest group, an abnormal one only at or above its threshold."""
        eligible = np.atleast_2d(group_probabilities).astype(float)
        eligible[:, ABNORMAL_INDICES] = np.where(self.reached(eligible), eligible[:, ABNORMAL_INDICES], -1.0)
        return np.argmax(eligible, axis=1)

    def answer(self, group_probabilities: np.ndarray) -> tuple[int, tuple[str, ...]]:
        """(answered group index, flagged abnormal groups other than the answer) of one cell."""
        group_index = int(self.answers(group_probabilities)[0])
        reached = self.reached(group_probabilities)[0]
        flags = tuple(
            g for g, hit in zip(ABNORMAL_GROUPS, reached, strict=True) if hit and GROUPS[group_index] != g
        )
        return group_index, flags

    def likely_blast_equivalent(self, group_probabilities: np.ndarray) -> np.ndarray:
        """N bool: the blast-equivalent probability at or above the screening bar (never without one)."""
        score = blast_equivalent_probability(group_probabilities)
        return score >= self.screen_bar if self.screen_bar is not None else np.zeros(len(score), bool)

    def operating_point(self, group_probabilities: np.ndarray, truth: np.ndarray) -> dict:
        """Blasts caught and normal cells flagged (any abnormal group) at these thresholds."""
        reached = self.reached(group_probabilities)
        flagged, blast_hit = reached.any(axis=1), reached[:, ABNORMAL_GROUPS.index("blast")]
        blasts = truth == "blast"
        normal = ~np.isin(truth, ABNORMAL_GROUPS)
        return {
            "blasts": int(blasts.sum()),
            "blasts_caught": float(blast_hit[blasts].mean()) if blasts.any() else None,
            "normal_cells": int(normal.sum()),
            "normal_flagged": float(flagged[normal].mean()) if normal.any() else None,
        }


def abnormal_mass(group_probabilities: np.ndarray) -> np.ndarray:
    """N: the probability the abnormal groups hold together."""
    return np.atleast_2d(group_probabilities)[:, ABNORMAL_INDICES].sum(1)


def blast_equivalent_probability(group_probabilities: np.ndarray) -> np.ndarray:
    """N: the probability that the cell is a blast or an abnormal promyelocyte."""
    return np.atleast_2d(group_probabilities)[:, BLAST_EQUIVALENT_INDICES].sum(1)
