"""The settings of one training phase, frozen once read from the command line or a recipe phase.

The command line and ``recipe.phase_arguments`` build an ``argparse.Namespace``; training
turns it into one of these at its start, so nothing below the entry point reads the parser's
namespace, and a setting cannot change while a phase runs.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ClassifierPhase:
    """One ``train-classifier`` phase (each field is the option of the same name)."""

    run_dir: str
    out: str
    init_from: str | None
    arch: str
    input_side: int
    scale: float
    mask_source: str
    sources: tuple[str, ...]
    stain_augment: bool
    camera_augment: bool
    camera_share: float
    camera_max_factor: float
    mask_augment: bool
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    threads: int
    bf16: bool
    group_weight: float
    train_from: str | None
    average_weights: bool
    release_only: bool
    view_choices: tuple[int, ...]
    soup: tuple[str, ...]
    seed: int

    def recorded(self) -> dict:
        """What the run's phase file keeps: epochs and rate, and every setting that departs from plain
        training; for a soup, which trains nothing, the settings its release step reads."""
        read = {
            "mask_source": self.mask_source if self.mask_source != "derived" else None,
            "sources": list(self.sources) if list(self.sources) != ["pbc"] else None,
            "mask_augment": self.mask_augment,
        }
        if self.soup:
            return {"soup": True, **{name: value for name, value in read.items() if value}}
        record = {"epochs": self.epochs, "lr": self.lr}
        departures = {
            "bf16": self.bf16,
            "group_weight": self.group_weight,
            "train_from": self.train_from,
            **read,
            "stain_augment": self.stain_augment,
            "camera_augment": self.camera_augment,
            "camera_share": self.camera_share if self.camera_augment else None,
            "camera_max_factor": self.camera_max_factor if self.camera_augment else None,
            "average_weights": self.average_weights,
            "seed": self.seed,
        }
        return {**record, **{name: value for name, value in departures.items() if value}}


@dataclass(frozen=True)
class UNetPhase:
    """One ``train-unet`` run (each field is the option of the same name)."""

    run_dir: str
    out: str
    epochs: int
    batch_size: int
    lr: float
    per_label: int
    stain_augment: bool
    stain_range: float
    train_slide_balance: bool
    threads: int

    def recorded(self) -> dict:
        """What the run's phase file keeps, so that a resume with other settings is refused."""
        return {
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "per_label": self.per_label,
            "stain_range": self.stain_range if self.stain_augment else None,
            "train_slide_balance": self.train_slide_balance,
        }


def phase_settings(kind: type, args: argparse.Namespace):
    """``kind`` (``ClassifierPhase`` or ``UNetPhase``) from the namespace's options of the same names.

    Options the phase does not use (``recipe`` and the like) are left behind; lists become tuples.
    """
    values = {field.name: getattr(args, field.name) for field in fields(kind)}
    return kind(**{name: tuple(v) if isinstance(v, list) else v for name, v in values.items()})
