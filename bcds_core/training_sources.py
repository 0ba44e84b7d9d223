"""The labelled image sources that training reads: where their images and split rows are.

PBC (Barcelona, healthy donors) is the base; the DeepAPL discovery cohort
(another hospital's CellaVision and stain, AML/APL patients) adds the abnormal
classes and, through its normal cells, a second lab, so that "abnormal" cannot
be learned as "from the other hospital". Each source has its own split CSV
(PBC by image content, DeepAPL by patient) and its own decoded-image cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bcds_core import deepapl
from bcds_core.paths import DATASET_DIR, pbc_root


@dataclass(frozen=True)
class TrainingSource:
    """A source's split CSV and the folder its rows' paths are relative to."""

    name: str
    split_csv: Path
    image_root: Callable[[], Path]


SOURCES: dict[str, TrainingSource] = {
    "pbc": TrainingSource("pbc", DATASET_DIR / "pbc_split.csv", pbc_root),
    "deepapl": TrainingSource("deepapl", deepapl.SPLIT_CSV, deepapl.images_dir),
}


def training_source(name: str) -> TrainingSource:
    """The source called ``name``.

    Raises:
        ValueError: for a name not in ``SOURCES``, listing the valid ones.
    """
    if name not in SOURCES:
        raise ValueError(f"Unknown training source '{name}'; choose among {sorted(SOURCES)}.")
    return SOURCES[name]
