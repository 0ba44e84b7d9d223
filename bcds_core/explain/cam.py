"""The Grad-CAM family from pytorch-grad-cam, one registry entry per method.

A CAM object is created per call inside ``with``, so its hooks are always
released; the target is always explicit (``ClassifierOutputTarget``), so the
map explains the class asked for, not whatever the model ranks first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from pytorch_grad_cam import EigenCAM, GradCAM, GradCAMPlusPlus, ScoreCAM
from pytorch_grad_cam.base_cam import BaseCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from bcds_core.explain.base import Explanation, finished_explanation, normalise


@dataclass(frozen=True)
class CamSpec:
    """A CAM method: its pytorch-grad-cam class and its name in the UI."""

    cam_class: type[BaseCAM]
    display_name: str


CAM_METHODS: dict[str, CamSpec] = {
    "gradcam": CamSpec(GradCAM, "Grad-CAM"),
    "gradcam++": CamSpec(GradCAMPlusPlus, "Grad-CAM++"),
    "eigencam": CamSpec(EigenCAM, "EigenCAM (gradient-free)"),
    "scorecam": CamSpec(ScoreCAM, "Score-CAM (gradient-free, slow)"),
}


def target_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The last residual block of a torchvision ResNet: the finest map with class semantics.

    ``model`` is the ResNet or the release's ``TaxonomyOrder`` around it.
    """
    return [getattr(model, "network", model).layer4[-1]]


def cam_maps(model: torch.nn.Module, inputs: torch.Tensor, method: str, targets: list[int]):
    """Raw CAM maps (B x C x C, float32 in [0, 1]) for a batch of classifier inputs."""
    spec = CAM_METHODS[method]
    with spec.cam_class(model=model, target_layers=target_layers(model)) as cam:
        if hasattr(cam, "batch_size"):
            cam.batch_size = 32
        return cam(input_tensor=inputs, targets=[ClassifierOutputTarget(t) for t in targets])


def explain_with_cam(analyzer, cell, method: str, target: int) -> Explanation:
    """Explain ``target`` for one prepared cell with a CAM method."""
    started = time.perf_counter()
    inputs = analyzer.classifier_input([cell])
    crop_heat = normalise(cam_maps(analyzer.classifier, inputs, method, [target])[0])
    crop_mask = analyzer.crop_mask(cell)
    return finished_explanation(method, target, crop_heat, cell, crop_mask, started)
