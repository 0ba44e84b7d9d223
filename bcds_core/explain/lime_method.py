"""LIME on superpixels of the masked cell, with the lime package.

Superpixels come from SLIC inside the cell mask (everything outside is one
segment). A fixed seed makes the picture repeatable. The number of perturbed
samples is set by a budget of input pixels, so one explanation fits 5 s on
2 CPU cores whatever input side the released classifier has: 160 samples of
the 192-px input did (``bench``: ``lime_s``), and a sample's cost grows with
its pixels, so a 256-px input gets 90. The signed map shows the superpixels
that pushed for (positive) and against (negative) the target. LIME fits one
column, the target's calibrated probability (a group's is the sum of its
classes'). Like the CAMs, LIME explains the network's single plain look at the
cell (``views=1``); scoring every perturbed sample over four flipped views
would cost four times the budget for a near-identical map. Perturbed images go
to the input's device and their scores come back through ``.cpu()``, so LIME
runs on CUDA as on the CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import torch
from lime import lime_image
from skimage.segmentation import slic

from bcds_core.explain.base import Explanation, finished_explanation, scaled_to_unit
from bcds_core.explain.targets import ProbabilityOf, Target

#: Input pixels all perturbed samples of one explanation may cost together: 160 samples at 192 px.
SAMPLE_PIXEL_BUDGET = 160 * 192 * 192
N_SEGMENTS = 40
SEED = 0


def _segments(crop_mask: np.ndarray):
    def segment(image: np.ndarray) -> np.ndarray:
        labels = slic(
            image, n_segments=N_SEGMENTS, compactness=10, mask=crop_mask > 0, start_label=1, channel_axis=-1
        )
        return labels

    return segment


def samples_within_budget(input_side: int) -> int:
    """How many perturbed samples of an ``input_side``-pixel input fit ``SAMPLE_PIXEL_BUDGET``."""
    return SAMPLE_PIXEL_BUDGET // (input_side * input_side)


def explain_with_lime(
    model: torch.nn.Module,
    input_tensor: torch.Tensor,
    crop_mask: np.ndarray,
    target: Target,
    temperature: float = 1.0,
    num_samples: int | None = None,
    progress: Callable[[float], None] | None = None,
    lock: AbstractContextManager | None = None,
) -> Explanation:
    """Explain ``target`` for one classifier input with LIME.

    Args:
        model: the classifier (fine-class logits in ``FINE_CLASSES`` order).
        input_tensor: 1 x 3 x C x C classifier input, on the model's device (CPU or CUDA).
        crop_mask: CxC cell mask over the input: the superpixels lie inside it.
        target: the class or group to explain.
        temperature: the release's calibration, so LIME fits the probabilities the app shows.
        num_samples: perturbed samples to score; by default as many as the time budget allows.
        progress: called with the fraction of perturbed samples scored so far (for a progress bar).
        lock: held around each batch's forward pass where ``model`` is shared (``explain``).
    """
    started = time.perf_counter()
    if num_samples is None:
        num_samples = samples_within_budget(input_tensor.shape[-1])
    image = input_tensor[0].permute(1, 2, 0).cpu().numpy().astype(np.float64)
    probability = ProbabilityOf(target, temperature)
    scored = [0]

    @torch.inference_mode()
    def predict(images: np.ndarray) -> np.ndarray:
        """N x 1 probabilities of the target for LIME's HxWx3 perturbed images."""
        batch = torch.from_numpy(images).float().permute(0, 3, 1, 2).to(input_tensor.device)
        scored[0] += len(images)
        if progress is not None:
            progress(min(1.0, scored[0] / (num_samples + 1)))
        with lock or nullcontext():
            logits = model(batch.contiguous(memory_format=torch.channels_last))
        return probability(logits)[:, None].cpu().numpy()

    explainer = lime_image.LimeImageExplainer(random_state=SEED)
    explanation = explainer.explain_instance(
        image,
        predict,
        labels=(0,),
        top_labels=None,
        hide_color=0.0,
        num_samples=num_samples,
        batch_size=50,
        segmentation_fn=_segments(crop_mask),
        random_seed=SEED,
    )
    weights = dict(explanation.local_exp[0])
    segments = explanation.segments
    signed = np.zeros(segments.shape, np.float32)
    for segment_id, weight in weights.items():
        signed[segments == segment_id] = weight
    signed *= crop_mask > 0
    scale = float(np.abs(signed).max())
    signed = signed / scale if scale > 0 else signed
    return finished_explanation("lime", target.name, scaled_to_unit(signed), crop_mask, started, signed)
