"""Temperature scaling and the expected calibration error.

A single temperature, fitted on the validation split by minimising the
negative log-likelihood of the allowed label set, makes the softmax
confidence match the observed accuracy without changing any prediction.
"""

from __future__ import annotations

import numpy as np
import torch

from bcds_core.classifier.model import allowed_set_nll


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
