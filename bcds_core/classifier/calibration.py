"""Temperature scaling, the review threshold and the expected calibration error.

A single temperature, fitted on the validation split by minimising the
negative log-likelihood of the allowed label set, makes the softmax
confidence match the observed accuracy without changing any prediction.
The review threshold is the confidence an answer needs for ``ok``.
"""

from __future__ import annotations

import numpy as np
import torch

from bcds_core.classifier.model import GROUP_MATRIX, allowed_set_nll, consistent_answer
from bcds_core.taxonomy import GROUPS

#: Group accuracy that answers at or above the review threshold must reach on each validation source.
REVIEW_TARGET_ACCURACY = 0.97


def fit_temperature(logits: torch.Tensor, allowed: torch.Tensor) -> float:
    """Temperature T > 0 minimising mean NLL of ``logits / T`` (LBFGS on log T)."""
    log_t = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = allowed_set_nll(logits.detach() / log_t.exp(), allowed).mean()
        loss.backward()
        return loss

    optimiser.step(closure)
    return float(log_t.detach().exp())


def review_threshold(
    fine: np.ndarray, truth: np.ndarray, sources: np.ndarray, target_accuracy: float = REVIEW_TARGET_ACCURACY
) -> float:
    """Lowest group confidence at which the answers reaching it are ``target_accuracy`` right on
    every validation source that has any.

    Args:
        fine: N x fine classes calibrated probabilities.
        truth: N true group names.
        sources: N names of each row's source.

    Every source, not their mix: an analyser unlike PBC's must not borrow PBC's accuracy. The group,
    not the fine class: it is the category most laboratories report (``status``).
    """
    answers = np.array([consistent_answer(f)[0] for f in fine])
    confidence = (fine @ GROUP_MATRIX)[np.arange(len(fine)), answers]
    correct = np.array(GROUPS)[answers] == truth
    for threshold in np.arange(0.30, 0.95, 0.01):
        accepted = confidence >= threshold
        if all(
            correct[accepted & own].mean() >= target_accuracy
            for own in (sources == name for name in np.unique(sources))
            if (accepted & own).any()
        ):
            return round(float(threshold), 2)
    return 0.95


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: bin-weighted |accuracy - confidence| over equal-width confidence bins."""
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)
