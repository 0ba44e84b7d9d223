"""The Grad-CAM family from pytorch-grad-cam, one registry entry per method.

A CAM object is created per call inside ``with``, so its hooks are always
released; the target is always explicit (a ``targets`` callable), so the map
of a gradient CAM explains the class or group asked for, not whatever the
model ranks first. EigenCAM is the exception: the first principal component of
the activations takes no target, so its map is the same whatever class is
asked for (``CLASS_AGNOSTIC``), and the page says so. Score-CAM (one forward
pass per channel, 512 of them, holding the model that every session shares for
seconds) is not offered.
HiResCAM multiplies gradients and activations element-wise instead of
averaging the gradients per channel, so its map is what the target's score
sums over the last block's cells (the most faithful CAM on medical images in
Lamprou et al. 2024).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from pytorch_grad_cam import EigenCAM, GradCAM, GradCAMPlusPlus, HiResCAM
from pytorch_grad_cam.base_cam import BaseCAM

from bcds_core.explain.base import Explanation, finished_explanation, scaled_to_unit
from bcds_core.explain.targets import Target


@dataclass(frozen=True)
class CamSpec:
    """A CAM method: its pytorch-grad-cam class and its name in the UI."""

    cam_class: type[BaseCAM]
    display_name: str


CAM_METHODS: dict[str, CamSpec] = {
    "gradcam": CamSpec(GradCAM, "Grad-CAM"),
    "gradcam++": CamSpec(GradCAMPlusPlus, "Grad-CAM++"),
    "hirescam": CamSpec(HiResCAM, "HiResCAM"),
    "eigencam": CamSpec(EigenCAM, "EigenCAM (gradient-free, not class-specific)"),
}
#: Methods whose map does not depend on the class asked for.
CLASS_AGNOSTIC = frozenset({"eigencam"})


def target_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The last residual block of a torchvision ResNet: the finest map with class semantics.

    ``model`` is the ResNet or the release's ``TaxonomyOrder`` around it.
    """
    return [getattr(model, "network", model).layer4[-1]]


@contextmanager
def backward_stops_at(model: torch.nn.Module, layer: torch.nn.Module) -> Iterator[None]:
    """While inside, a backward pass through ``model`` starts its graph at ``layer``'s output.

    A CAM needs the target's gradient with respect to that layer's activations only. Left
    alone, autograd also computes every weight's gradient below it, three quarters of a
    Grad-CAM's time on the CPU. The layer's output is handed on as a leaf that requires
    grad (so pytorch-grad-cam's hooks, registered after this one, see it as before), and
    the weights stop requiring grad until the block ends: the gradient at the layer is the
    same, the rest is not computed.
    """
    parameters = [p for p in model.parameters() if p.requires_grad]
    for parameter in parameters:
        parameter.requires_grad_(False)
    handle = layer.register_forward_hook(
        lambda _module, _inputs, output: output.detach().requires_grad_(True)
    )
    try:
        yield
    finally:
        handle.remove()
        for parameter in parameters:
            parameter.requires_grad_(True)


def explain_with_cam(
    model: torch.nn.Module, input_tensor: torch.Tensor, crop_mask: np.ndarray, method: str, target: Target
) -> Explanation:
    """Explain ``target`` for one classifier input with a CAM method.

    Args:
        model: the classifier (fine-class logits in ``FINE_CLASSES`` order).
        input_tensor: 1 x 3 x C x C classifier input, on the model's device.
        crop_mask: CxC cell mask over the input, to score where the heat lies.
        method: a key of ``CAM_METHODS``.
        target: the class or group to explain.
    """
    started = time.perf_counter()
    layers = target_layers(model)
    with (
        backward_stops_at(model, layers[0]),
        CAM_METHODS[method].cam_class(model=model, target_layers=layers) as cam,
    ):
        if hasattr(cam, "batch_size"):
            cam.batch_size = 32
        crop_heat = scaled_to_unit(cam(input_tensor=input_tensor, targets=[target])[0])
    return finished_explanation(method, target.name, crop_heat, crop_mask, started)
