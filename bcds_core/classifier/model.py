"""The classifier network and its consistent fine/group probabilities.

One torchvision ResNet outputs 11 fine-class logits. Probabilities are the
temperature-scaled softmax; a group's probability is the sum of its fine
classes, so the 8-group answer and the 11-class answer never contradict.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torchvision

from bcds_core.taxonomy import FINE_CLASSES, group_matrix
from bcds_core.weights_io import load_released

#: 11x8, 1 where a fine class belongs to a group: group probabilities = fine probabilities @ GROUP_MATRIX.
GROUP_MATRIX = group_matrix()
ARCHITECTURES = {"resnet18": torchvision.models.resnet18, "resnet34": torchvision.models.resnet34}


def build_classifier(arch: str) -> torch.nn.Module:
    """An untrained ResNet with 11 outputs (no pretrained weights: nothing is downloaded).

    Raises:
        ValueError: for an architecture not in ``ARCHITECTURES``.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture '{arch}'; choose one of {sorted(ARCHITECTURES)}.")
    return ARCHITECTURES[arch](weights=None, num_classes=len(FINE_CLASSES))


def load_classifier(directory: Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """The released classifier, hash-checked, in eval mode."""
    state, config = load_released(directory)
    model = build_classifier(config["arch"])
    model.load_state_dict(state)
    return model.to(device).eval(), config


def fine_and_group_probabilities(
    logits: torch.Tensor, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Calibrated fine probabilities (Bx11) and their group sums (Bx8)."""
    fine = torch.softmax(logits / temperature, dim=1)
    return fine, fine @ torch.from_numpy(GROUP_MATRIX).to(fine.device)


def consistent_answer(fine: np.ndarray) -> tuple[int, int]:
    """(group index, fine index): the likeliest group, then its likeliest fine class.

    Choosing the fine class inside the chosen group keeps the two answers
    consistent even when, say, SNE 0.40 + BNE 0.35 outweigh MY 0.45.
    """
    group_index = int(np.argmax(fine @ GROUP_MATRIX))
    in_group = np.where(GROUP_MATRIX[:, group_index] > 0, fine, -1.0)
    return group_index, int(np.argmax(in_group))


def allowed_set_nll(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Per-sample -log P(true class in allowed set).

    For a fine label the set is that class; for an image labelled only with a
    group (NEUTROPHIL, IG) it is the group's fine classes, so those images train
    through the group's summed probability.

    Args:
        logits: Bx11.
        allowed: Bx11 bool, True for the classes the label allows.
    """
    masked = logits.masked_fill(~allowed, float("-inf"))
    return torch.logsumexp(logits, dim=1) - torch.logsumexp(masked, dim=1)


def group_sets(allowed: torch.Tensor) -> torch.Tensor:
    """Bx11 bool: every fine class of the group(s) the allowed classes belong to.

    With ``allowed_set_nll`` this gives -log P(true group), the term that decides
    the product's 8-group answer (``--group-weight`` in training).
    """
    groups = torch.from_numpy(GROUP_MATRIX).to(allowed.device)
    return (allowed.float() @ groups @ groups.T) > 0
