"""Is the heat map faithful? ROAD scores (pytorch-grad-cam's metrics) and heat on the cell.

ROAD removes the most (MoRF) or least (LeRF) relevant pixels by noisy linear
imputation and measures the change in the target's score; the combined score
(LeRF - MoRF) / 2 is higher for a more faithful map. We also report the share
of the heat that lies inside the U-Net mask: a map that lights the slide
instead of the cell explains nothing about the cell. The mask's share of the
crop is that measure's baseline: a flat map scores exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pytorch_grad_cam.metrics.road import ROADCombined
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

from bcds_core.explain import explain

#: Fractions of pixels removed (percentiles of the map) for ROAD.
ROAD_PERCENTILES = [20, 40, 60, 80]


@dataclass
class FaithfulnessScores:
    """Per-method means over the cells scored."""

    method: str
    n: int
    road_combined: float
    random_baseline: float
    inside_mask_share: float
    mask_area_share: float
    seconds_per_cell: float


def score_method(analyzer, cells, targets: list[int], method: str, seed: int = 0) -> FaithfulnessScores:
    """ROAD (with a random-map baseline) and heat-inside-mask share for one method."""
    road = ROADCombined(percentiles=ROAD_PERCENTILES)
    rng = np.random.default_rng(seed)
    combined, baseline, inside, area, seconds = [], [], [], [], []
    for cell, target in zip(cells, targets, strict=True):
        explanation = explain(analyzer, cell, method, target)
        inputs = analyzer.classifier_input([cell])
        wrapped = [ClassifierOutputSoftmaxTarget(target)]
        with torch.no_grad():
            combined.append(float(road(inputs, explanation.crop_heat[None], wrapped, analyzer.classifier)[0]))
            random_map = rng.random(explanation.crop_heat.shape).astype(np.float32)[None]
            baseline.append(float(road(inputs, random_map, wrapped, analyzer.classifier)[0]))
        inside.append(explanation.inside_mask_share)
        area.append(float(analyzer.crop_mask(cell).mean()))
        seconds.append(explanation.seconds)
    return FaithfulnessScores(
        method,
        len(cells),
        float(np.mean(combined)),
        float(np.mean(baseline)),
        float(np.mean(inside)),
        float(np.mean(area)),
        float(np.mean(seconds)),
    )
