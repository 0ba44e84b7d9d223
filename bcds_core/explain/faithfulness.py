"""Is the heat map faithful? Perturbation scores (pytorch-grad-cam's metrics) and heat on the cell.

Two perturbation tests from ``pytorch_grad_cam.metrics``, both of which remove
the most (MoRF) or least (LeRF) relevant pixels at several percentiles of the
map and measure the change in the target's probability; (LeRF - MoRF) / 2 is
higher for a more faithful map:

- ROAD fills removed pixels by noisy linear imputation, so the hole's shape
  does not leak; it is exact but slow (a sparse solve per percentile).
- Blank deletion sets removed pixels to 0, the dataset mean that the
  classifier already sees outside every cell mask; one batched forward pass
  per percentile, cheap enough for hundreds of cells, and its MoRF scores at
  each percentile are the deletion curve.

A random map scored on the same cell is the baseline of both (``RANDOM_MAP``,
scored like a method). The share of the heat inside the U-Net mask checks that
the map lights the cell, not the slide; a flat map scores the mask's share of
the crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from pytorch_grad_cam.metrics.perturbation_confidence import (
    PerturbationConfidenceMetric,
    RemoveLeastRelevantFirst,
    RemoveMostRelevantFirst,
)
from pytorch_grad_cam.metrics.road import ROADCombined

from bcds_core.explain import explain
from bcds_core.explain.base import inside_share
from bcds_core.explain.targets import ProbabilityOf, Target

#: Fractions of pixels removed (percentiles of the map) for ROAD.
ROAD_PERCENTILES = [20, 40, 60, 80]
#: Percentiles of the blank-deletion curve.
DELETION_PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
#: Name under which the random-map baseline is scored.
RANDOM_MAP = "random map"


@dataclass
class CellFaithfulness:
    """One cell's scores, per method (and ``RANDOM_MAP``)."""

    road_combined: dict[str, float]
    deletion: dict[str, list[float]]
    least_relevant_removed: dict[str, list[float]]
    inside_mask_share: dict[str, float]
    seconds: dict[str, float]
    mask_area_share: float


@dataclass
class FaithfulnessScores:
    """Per-method means over the cells scored (ROAD over the ``n_road`` that had it)."""

    method: str
    n: int
    n_road: int
    road_combined: float | None
    blank_combined: float
    deletion_curve: list[float]
    least_relevant_curve: list[float]
    inside_mask_share: float
    mask_area_share: float
    seconds_per_cell: float


def blank_out(image: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Removed pixels become 0 after normalisation: the blank the classifier sees outside cells."""
    return image * keep


def blank_curves(inputs, maps: np.ndarray, targets, model) -> tuple[np.ndarray, np.ndarray]:
    """MoRF and LeRF probability changes, maps x percentiles, with removed pixels blanked.

    The unperturbed scores are computed once here, not by the metric at every percentile.
    """
    before = np.float32(
        [target(output).cpu().numpy() for target, output in zip(targets, model(inputs), strict=True)]
    )
    curves = []
    for remover in (RemoveMostRelevantFirst, RemoveLeastRelevantFirst):
        metrics = [PerturbationConfidenceMetric(remover(p, blank_out)) for p in DELETION_PERCENTILES]
        after = [metric(inputs, maps, targets, model, return_diff=False) for metric in metrics]
        curves.append(np.stack(after, axis=1) - before[:, None])
    return curves[0], curves[1]


def score_cell(
    model: torch.nn.Module,
    input_tensor: torch.Tensor,
    crop_mask: np.ndarray,
    target: Target,
    methods: list[str],
    seed: int = 0,
    road: bool = True,
    temperature: float = 1.0,
) -> CellFaithfulness:
    """Score each method's map for ``target`` on one classifier input, and a random map beside them.

    Args:
        model: the classifier (the caller serialises the use of a shared one).
        input_tensor: 1 x 3 x C x C classifier input, on the model's device.
        crop_mask: CxC cell mask over the input.
        target: the class or group explained; the metrics follow its uncalibrated probability.
        methods: explanation methods to score.
        seed: seed of the random map.
        road: also compute ROAD (about 4 s per map on one core).
        temperature: the release's calibration, for LIME's fit.
    """
    explanations = {
        method: explain(model, input_tensor, crop_mask, method, target, temperature) for method in methods
    }
    side = input_tensor.shape[-1]
    names = [*methods, RANDOM_MAP]
    maps = np.stack(
        [e.crop_heat for e in explanations.values()]
        + [np.random.default_rng(seed).random((side, side)).astype(np.float32)]
    )
    batch = input_tensor.repeat(len(names), 1, 1, 1)
    targets = [ProbabilityOf(target)] * len(names)
    with torch.no_grad():
        morf, lerf = blank_curves(batch, maps, targets, model)
        road_scores = ROADCombined(ROAD_PERCENTILES)(batch, maps, targets, model) if road else []
    return CellFaithfulness(
        road_combined={name: float(score) for name, score in zip(names, road_scores, strict=False)},
        deletion={name: curve.tolist() for name, curve in zip(names, morf, strict=True)},
        least_relevant_removed={name: curve.tolist() for name, curve in zip(names, lerf, strict=True)},
        inside_mask_share={
            name: inside_share(heat, crop_mask) for name, heat in zip(names, maps, strict=True)
        },
        seconds={name: explanations[name].seconds if name in explanations else 0.0 for name in names},
        mask_area_share=float(crop_mask.mean()),
    )


def method_scores(cells: list[CellFaithfulness], method: str) -> FaithfulnessScores:
    """Mean scores of ``method`` over the cells that scored it."""
    scored = [c for c in cells if method in c.deletion]
    with_road = [c.road_combined[method] for c in scored if method in c.road_combined]
    morf = np.mean([c.deletion[method] for c in scored], axis=0)
    lerf = np.mean([c.least_relevant_removed[method] for c in scored], axis=0)
    return FaithfulnessScores(
        method=method,
        n=len(scored),
        n_road=len(with_road),
        road_combined=float(np.mean(with_road)) if with_road else None,
        blank_combined=float(np.mean(lerf - morf) / 2),
        deletion_curve=[round(float(v), 4) for v in morf],
        least_relevant_curve=[round(float(v), 4) for v in lerf],
        inside_mask_share=float(np.mean([c.inside_mask_share[method] for c in scored])),
        mask_area_share=float(np.mean([c.mask_area_share for c in scored])),
        seconds_per_cell=float(np.mean([c.seconds[method] for c in scored])),
    )
