"""Re-estimating a network's BatchNorm statistics from images, without labels.

Evaluation-mode BatchNorm normalises with running means and variances of the
images the network last saw in training mode. Two situations call for new ones:
after one-cycle training, where the averages lag behind the weights
(``train_classifier.recalibrate_batchnorm``); and on another microscope, where
the statistics of its images differ from the training sources' (AdaBN, Li et al.
2016; Tsutsui et al. 2023 found BatchNorm statistics the largest single cause of
cross-microscope failure). Either way, the new statistics are the plain average
over the given batches. A lab profile carries the statistics of its lab's cells
(``lab_profile``), and the analyzer reads that lab's images through a copy of the
network that holds them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from contextlib import nullcontext

import numpy as np
import torch


def reestimate_batchnorm(
    model: torch.nn.Module, batches: Iterable[torch.Tensor], keep: tuple[torch.nn.Module, ...] = ()
) -> torch.nn.Module:
    """Replace ``model``'s BatchNorm running statistics by their average over ``batches``; eval mode after.

    The BatchNorm layers inside ``keep`` (blocks a phase did not train, ``train_classifier.freeze_before``)
    normalise with their own statistics throughout and keep them. A network without BatchNorm
    (``resnet18_gn``) keeps no statistics: it is returned as it is.
    """
    kept = {id(m) for block in keep for m in block.modules()}
    layers = [
        m
        for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and id(m) not in kept
    ]
    if not layers:
        return model.eval()
    for module in layers:
        module.reset_running_stats()
        module.momentum = None
    model.train()
    for block in keep:
        block.eval()
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return model.eval()


def adapted_copy(
    model: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 32, lock=None
) -> torch.nn.Module:
    """A copy of ``model`` whose BatchNorm statistics are re-estimated on ``inputs``, ``batch_size``
    at a time; ``model`` itself is left as it is. ``lock`` is held while the copy is taken only
    (a shared model may carry an explanation's hooks meanwhile), not through the passes over the
    inputs, which would stall every other user of the model for seconds."""
    with lock or nullcontext():
        network = copy.deepcopy(model)
    batches = (inputs[start : start + batch_size] for start in range(0, len(inputs), batch_size))
    return reestimate_batchnorm(network, batches)


def batchnorm_statistics(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """The running means and variances of ``model``'s BatchNorm layers, by state-dict name (float32)."""
    return {
        name: value.detach().cpu().numpy().astype(np.float32)
        for name, value in model.state_dict().items()
        if name.endswith((".running_mean", ".running_var"))
    }


def with_batchnorm_statistics(model: torch.nn.Module, statistics: dict[str, np.ndarray]) -> torch.nn.Module:
    """A copy of ``model`` in eval mode with the given BatchNorm statistics (``batchnorm_statistics``'s form)."""
    adapted = copy.deepcopy(model)
    state = adapted.state_dict()
    for name, value in statistics.items():
        state[name].copy_(torch.from_numpy(value))
    return adapted.eval()
