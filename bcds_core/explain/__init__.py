"""Why this class (or group)? Heat maps from the Grad-CAM family and LIME, behind one call.

``explain(model, input_tensor, crop_mask, method, target)`` returns an
``Explanation`` over the classifier's input crop for any registered method,
taking the model and its input as pytorch-grad-cam does; ``METHODS`` lists
them, ``targets`` holds what they can explain (a fine class or a group).
``explain_cell`` is the adapter for an analysed cell: it builds the input from
the shared ``CellAnalyzer`` under its lock and maps the heat back onto the
original image. The libraries (pytorch-grad-cam, lime) do the work.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import torch

from bcds_core.explain.base import CellExplanation, Explanation
from bcds_core.explain.cam import CAM_METHODS, explain_with_cam
from bcds_core.explain.lime_method import explain_with_lime
from bcds_core.explain.targets import FineClassTarget, GroupTarget, Target, target_named

#: method name -> display name, in the order the UI offers them.
METHODS: dict[str, str] = {
    **{name: spec.display_name for name, spec in CAM_METHODS.items()},
    "lime": "LIME (superpixels)",
}


def explain(
    model: torch.nn.Module,
    input_tensor: torch.Tensor,
    crop_mask: np.ndarray,
    method: str,
    target: Target,
    temperature: float = 1.0,
    progress: Callable[[float], None] | None = None,
    lock: AbstractContextManager | None = None,
) -> Explanation:
    """Explain ``model``'s answer for one classifier input.

    A shared model is serialised through ``lock``: the CAMs hook it, so they hold the lock for
    their whole run, which no other thread's forward pass may cross; LIME only runs it, so it
    takes the lock for each batch of perturbed samples and lets other sessions' answers in
    between (its 4-5 s would otherwise stall every other user).

    Args:
        model: the classifier (fine-class logits in ``FINE_CLASSES`` order).
        input_tensor: 1 x 3 x C x C classifier input, on the model's device.
        crop_mask: CxC float32 0/1 cell mask over the input.
        method: a key of ``METHODS``.
        target: the class or group to explain (``targets.FineClassTarget``, ``GroupTarget``).
        temperature: the release's calibration (LIME fits calibrated probabilities).
        progress: optional callback with the fraction done (LIME only; the CAMs take about 0.1 s).
        lock: the shared model's lock, if it is shared (a ``threading.Lock``).

    Raises:
        ValueError: for an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown explanation method '{method}'; choose one of {sorted(METHODS)}.")
    lock = lock or nullcontext()
    if method == "lime":
        return explain_with_lime(
            model, input_tensor, crop_mask, target, temperature, progress=progress, lock=lock
        )
    with lock:
        return explain_with_cam(model, input_tensor, crop_mask, method, target)


def explain_cell(analyzer, cell, method: str, target: Target, progress=None, profile=None) -> CellExplanation:
    """Explain a loaded ``CellAnalyzer``'s answer for one ``PreparedCell``, on the cell's image.

    The analyzer's lock is held while the model runs (``explain``): one classifier serves every
    session, and another thread's forward pass would run through the CAM's hooks.
    With a lab ``profile``, the network explained is the one that read the cell: the copy
    holding the profile's BatchNorm statistics (``CellAnalyzer.classifier_for``). What the
    profile does after the network (its head re-weighing the normal groups, the abnormal
    classes' share kept from the release's network) is not in the map.
    """
    network = analyzer.classifier_for(profile)
    explanation = explain(
        network,
        analyzer.classifier_input([cell]),
        analyzer.crop_mask(cell),
        method,
        target,
        analyzer.temperature,
        progress,
        analyzer.lock,
    )
    return CellExplanation.on_image(explanation, cell)


__all__ = [
    "METHODS",
    "CellExplanation",
    "Explanation",
    "FineClassTarget",
    "GroupTarget",
    "explain",
    "explain_cell",
    "target_named",
]
