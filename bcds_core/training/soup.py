"""A model soup: one network whose weights are the mean of several releases' weights.

Fine-tunes of one starting release that differ only in augmentation usually
end in one basin of the loss, where the mean of their weights is about as
accurate as each at home and more robust away from it (Wortsman et al.,
"Model soups", ICML 2022). The mean is uniform: weighting the ingredients
would be one more choice to make on validation, which the ship rule uses.
"""

from __future__ import annotations

from pathlib import Path

import torch

from bcds_core.classifier.model import release_classes
from bcds_core.weights_io import WeightsError, load_released


def mean_weights(releases: list[Path]) -> dict[str, torch.Tensor]:
    """The uniform mean of the releases' (hash-checked) weights.

    BatchNorm's running statistics are averaged too; the release step then
    measures them against statistics re-estimated for the mean weights.
    Integer buffers (BatchNorm's batch counters) are the first release's.

    Raises:
        WeightsError: the releases have other architectures, classes or tensors.
    """
    states, kinds = [], []
    for directory in releases:
        state, config = load_released(Path(directory))
        states.append(state)
        kinds.append((config.get("arch"), release_classes(config)))
    shapes = [{key: tuple(value.shape) for key, value in state.items()} for state in states]
    if any(k != kinds[0] for k in kinds) or any(s != shapes[0] for s in shapes):
        raise WeightsError("A soup needs releases of one architecture and one set of classes.")
    return {
        key: torch.stack([s[key] for s in states]).mean(0) if value.is_floating_point() else value
        for key, value in states[0].items()
    }
