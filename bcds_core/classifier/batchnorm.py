"""Re-estimating a network's BatchNorm statistics from images, without labels.

Evaluation-mode BatchNorm normalises with running means and variances of the
images the network last saw in training mode. Two situations call for new ones:
after one-cycle training, where the averages lag behind the weights
(``train_classifier.recalibrate_batchnorm``); and on another microscope, where
the statistics of its images differ from the training sources' (AdaBN, Li et al.
2016; Tsutsui et al. 2023 found BatchNorm statistics the largest single cause of
cross-microscope failure). Either way, the new statistics are the plain average
over the given batches.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def reestimate_batchnorm(model: torch.nn.Module, batches: Iterable[torch.Tensor]) -> torch.nn.Module:
    """Replace ``model``'s BatchNorm running statistics by their average over ``batches``; eval mode after."""
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return model.eval()
