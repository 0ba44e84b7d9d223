"""What an explanation explains: a fine class or a group, as pytorch-grad-cam target callables.

A target maps the classifier's logits (one row, shape K, or a batch, B x K, in
``FINE_CLASSES`` order) to the score whose gradient the CAMs follow. Both kinds
score the log-sum-exp of a set of fine-class logits: for one class that is the
class's own logit (pytorch-grad-cam's ``ClassifierOutputTarget``), for a group
it is the log of the group's unnormalised probability, so a group's map
explains the group answer the app headlines, and a one-class group (basophil)
gets the same map as its class. ``ProbabilityOf`` turns either into the
target's calibrated probability, for LIME and the perturbation metrics.
"""

from __future__ import annotations

import torch
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, GROUPS


class FineClassTarget(ClassifierOutputTarget):
    """The logit of one fine class (``category``: its index in ``FINE_CLASSES``)."""

    @property
    def name(self) -> str:
        return FINE_CLASSES[self.category]


class GroupTarget:
    """The log-sum-exp of a group's fine-class logits (``group``: its index in ``GROUPS``)."""

    def __init__(self, group: int):
        self.group = group
        self.members = [i for i, fine in enumerate(FINE_CLASSES) if FINE_TO_GROUP[fine] == GROUPS[group]]

    @property
    def name(self) -> str:
        return GROUPS[self.group]

    def __call__(self, model_output: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(model_output[..., self.members], dim=-1)


Target = FineClassTarget | GroupTarget


def target_named(name: str) -> Target:
    """The target of a fine class (``"BA"``) or a group (``"basophil"``); the two never share a name.

    Raises:
        ValueError: for a name that is neither.
    """
    if name in FINE_CLASSES:
        return FineClassTarget(FINE_CLASSES.index(name))
    if name in GROUPS:
        return GroupTarget(GROUPS.index(name))
    raise ValueError(f"'{name}' is neither a fine class {FINE_CLASSES} nor a group {GROUPS}.")


class ProbabilityOf:
    """The target's probability under ``softmax(logits / temperature)``, as a metric target.

    ``exp(target(z) - logsumexp(z))`` with ``z = logits / temperature``: the
    class's probability for a fine target, the sum of its members' for a group.
    """

    def __init__(self, target: Target, temperature: float = 1.0):
        self.target = target
        self.temperature = temperature

    def __call__(self, model_output: torch.Tensor) -> torch.Tensor:
        scaled = model_output / self.temperature
        return torch.exp(self.target(scaled) - torch.logsumexp(scaled, dim=-1))
