"""LIME on superpixels of the masked cell, with the lime package.

Superpixels come from SLIC inside the cell mask (everything outside is one
segment). A fixed seed makes the picture repeatable. The number of perturbed
samples is set by a budget of input pixels, so one explanation fits 5 s on
2 CPU cores whatever input side the released classifier has: 160 samples of
the 192-px input did (``bench``: ``lime_s``), and a sample's cost grows with
its pixels, so a 256-px input gets 90. The signed map
shows the superpixels that pushed for (positive) and against (negative) the
class. Like the CAMs, LIME explains the network's single plain look at the
cell (``views=1``); scoring every perturbed sample over four flipped views
would cost four times the budget for a near-identical map.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from lime import lime_image
from skimage.segmentation import slic

from bcds_core.explain.base import Explanation, finished_explanation, normalise

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
    analyzer,
    cell,
    target: int,
    num_samples: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> Explanation:
    """Explain ``target`` for one prepared cell with LIME.

    Args:
        num_samples: perturbed samples to score; by default as many as the time budget allows.
        progress: called with the fraction of perturbed samples scored so far (for a progress bar).
    """
    started = time.perf_counter()
    if num_samples is None:
        num_samples = samples_within_budget(analyzer.classifier_config["input_side"])
    inputs = analyzer.classifier_input([cell])[0].permute(1, 2, 0).numpy().astype(np.float64)
    crop_mask = analyzer.crop_mask(cell)

    scored = [0]

    def predict(images: np.ndarray) -> np.ndarray:
        batch = (
            torch.from_numpy(images).float().permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
        )
        scored[0] += len(images)
        if progress is not None:
            progress(min(1.0, scored[0] / (num_samples + 1)))
        return analyzer.fine_probabilities_of_inputs(batch, views=1)

    explainer = lime_image.LimeImageExplainer(random_state=SEED)
    explanation = explainer.explain_instance(
        inputs,
        predict,
        labels=(target,),
        top_labels=None,
        hide_color=0.0,
        num_samples=num_samples,
        batch_size=50,
        segmentation_fn=_segments(crop_mask),
        random_seed=SEED,
    )
    weights = dict(explanation.local_exp[target])
    segments = explanation.segments
    signed = np.zeros(segments.shape, np.float32)
    for segment_id, weight in weights.items():
        signed[segments == segment_id] = weight
    signed *= crop_mask > 0
    scale = float(np.abs(signed).max())
    signed = signed / scale if scale > 0 else signed
    return finished_explanation("lime", target, normalise(signed), cell, crop_mask, started, signed)
