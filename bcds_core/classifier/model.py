"""The classifier network and its consistent fine/group probabilities.

One torchvision ResNet outputs one logit per fine class of its release
(``config["classes"]``), placed in taxonomy order; a class the release was not
trained on gets a logit of ``ABSENT_LOGIT`` (probability 0). Probabilities are the
temperature-scaled softmax; a group's probability is the sum of its fine
classes, so the 8-group answer and the 11-class answer never contradict.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torchvision

from bcds_core.taxonomy import FINE_CLASSES, group_matrix
from bcds_core.weights_io import WeightsError, load_into, load_released

#: fine classes x groups, 1 where a fine class belongs to a group: group probabilities = fine @ GROUP_MATRIX.
GROUP_MATRIX = group_matrix()
#: GroupNorm groups of the ``*_gn`` variants (Wu and He 2018's default).
NORM_GROUPS = 32


def group_norm(channels: int) -> torch.nn.GroupNorm:
    """GroupNorm for a ResNet's ``norm_layer``: statistics of each image alone, none carried from training."""
    return torch.nn.GroupNorm(NORM_GROUPS, channels)


#: The ResNets a release may name. ``resnet18_gn`` normalises with GroupNorm instead of BatchNorm:
#: Tsutsui et al. (2023) found BatchNorm's training-set statistics the largest single cause of
#: cross-microscope failure (``docs/training.md``, "BatchNorm or GroupNorm").
ARCHITECTURES = {
    "resnet18": torchvision.models.resnet18,
    "resnet34": torchvision.models.resnet34,
    "resnet18_gn": functools.partial(torchvision.models.resnet18, norm_layer=group_norm),
}
#: Keys a classifier release's config must hold for the analyzer.
CLASSIFIER_CONFIG_KEYS = (
    "arch",
    "classes",
    "input_side",
    "scale",
    "mask_dilation",
    "mean",
    "std",
    "temperature",
    "review_threshold",
)
#: Logit of a taxonomy class that a release does not output: exp(-1e4 / T) is 0 in float32.
ABSENT_LOGIT = -1e4


class TaxonomyOrder(torch.nn.Module):
    """Places a network's outputs (its release's ``classes``) in ``FINE_CLASSES`` order."""

    def __init__(self, network: torch.nn.Module, classes: list[str]):
        super().__init__()
        self.network = network
        self.register_buffer("columns", torch.tensor([FINE_CLASSES.index(c) for c in classes]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.placed(self.network(x))

    def placed(self, own: torch.Tensor) -> torch.Tensor:
        """The network's own logits in taxonomy order."""
        logits = own.new_full((own.shape[0], len(FINE_CLASSES)), ABSENT_LOGIT)
        return logits.index_copy(1, self.columns, own)

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B x 512 pooled features that the last layer reads, B x fine-class logits)."""
        features = penultimate_features(self.network, x)
        return features, self.placed(self.network.fc(features))


def penultimate_features(network: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A torchvision ResNet's pooled features (B x C), the input of its ``fc`` layer."""
    for name, layer in network.named_children():
        if name == "fc":
            break
        x = layer(x)
    return torch.flatten(x, 1)


def build_classifier(arch: str, num_classes: int = len(FINE_CLASSES)) -> torch.nn.Module:
    """An untrained ResNet (no pretrained weights: nothing is downloaded).

    Raises:
        ValueError: for an architecture not in ``ARCHITECTURES``.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture '{arch}'; choose one of {sorted(ARCHITECTURES)}.")
    return ARCHITECTURES[arch](weights=None, num_classes=num_classes)


def release_classes(config: dict) -> list[str]:
    """The fine classes a release outputs, in its own order (all of them where it does not say)."""
    return list(config.get("classes", FINE_CLASSES))


def load_classifier(directory: Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """The released classifier, hash-checked, in eval mode, with outputs in taxonomy order.

    The network itself is ``model.network`` (Grad-CAM's layers live there). Its weights are
    channels_last like its inputs (``classifier_batch``): oneDNN then runs every convolution in that
    layout without converting, the same logits 10-15 % faster on 2 cores.
    """
    state, config = load_released(directory, CLASSIFIER_CONFIG_KEYS)
    classes = release_classes(config)
    unknown = sorted(set(classes) - set(FINE_CLASSES))
    if unknown or config["arch"] not in ARCHITECTURES:
        raise WeightsError(f"{directory.name}/config.json names an unknown class or architecture: {unknown}.")
    network = build_classifier(config["arch"], len(classes))
    load_into(network, state, directory)
    return TaxonomyOrder(network, classes).to(device, memory_format=torch.channels_last).eval(), config


def widen_head(state: dict, classes: list[str], fresh: torch.nn.Module) -> dict:
    """Weights of a release with ``classes`` outputs, widened to every taxonomy class.

    The rows of the classes the release knows are kept; the others come from
    ``fresh`` (an untrained network with all classes), so a fine-tuning phase can
    start from a release trained before the abnormal classes existed.
    """
    widened = dict(state)
    for name in ("fc.weight", "fc.bias"):
        rows = fresh.state_dict()[name].clone()
        rows[[FINE_CLASSES.index(c) for c in classes]] = state[name]
        widened[name] = rows
    return widened


def fine_and_group_probabilities(
    logits: torch.Tensor, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Calibrated fine probabilities (B x fine classes) and their group sums (B x groups)."""
    fine = torch.softmax(logits / temperature, dim=1)
    return fine, fine @ torch.from_numpy(GROUP_MATRIX).to(fine.device)


def consistent_answer(fine: np.ndarray) -> tuple[int, int]:
    """(group index, fine index): the likeliest group, then its likeliest fine class.

    Choosing the fine class inside the chosen group keeps the two answers
    consistent even when, say, SNE 0.40 + BNE 0.35 outweigh MY 0.45.
    """
    group_index = int(np.argmax(fine @ GROUP_MATRIX))
    return group_index, likeliest_in_group(fine, group_index)


def likeliest_in_group(fine: np.ndarray, group_index: int) -> int:
    """Index of the likeliest fine class of one group."""
    return int(np.argmax(np.where(GROUP_MATRIX[:, group_index] > 0, fine, -1.0)))


def second_in_group(fine: np.ndarray, group_index: int) -> int | None:
    """Index of the second likeliest fine class of one group (None for a group of one class)."""
    members = np.flatnonzero(GROUP_MATRIX[:, group_index] > 0)
    return None if len(members) < 2 else int(members[np.argsort(fine[members])[-2]])


def allowed_set_nll(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Per-sample -log P(true class in allowed set).

    For a fine label the set is that class; for an image labelled only with a
    group (NEUTROPHIL, IG) it is the group's fine classes, so those images train
    through the group's summed probability.

    Args:
        logits: B x fine classes.
        allowed: B x fine classes bool, True for the classes the label allows.
    """
    masked = logits.masked_fill(~allowed, float("-inf"))
    return torch.logsumexp(logits, dim=1) - torch.logsumexp(masked, dim=1)


def group_sets(allowed: torch.Tensor) -> torch.Tensor:
    """B x fine classes bool: every fine class of the group(s) the allowed classes belong to.

    With ``allowed_set_nll`` this gives -log P(true group), the term that decides
    the product's 8-group answer (``--group-weight`` in training).
    """
    groups = torch.from_numpy(GROUP_MATRIX).to(allowed.device)
    return (allowed.float() @ groups @ groups.T) > 0
