"""The white-cell differential of a sample, as a haematologist reads it.

White cells only, ordered by lineage and maturation (neutrophil series from
mature to blast, then basophil, eosinophil, lymphocyte, monocyte), with
absolute counts and whole percentages; nucleated red cells are reported per
100 white cells, and platelets and smudge cells apart, as a manual count does.
Cells answered ``ok`` or ``review`` count; rejected images do not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bcds_core.analysis import CellResult
from bcds_core.taxonomy import display_name

#: Rows of the differential, in order; each fine label or group-only label counts in its row.
DIFFERENTIAL_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Neutrophil (segmented)", ("SNE", "NEUTROPHIL")),
    ("Band neutrophil", ("BNE",)),
    ("Metamyelocyte", ("MMY",)),
    ("Myelocyte", ("MY", "IG")),
    ("Promyelocyte", ("PMY",)),
    ("Abnormal promyelocyte", ("ABPMY",)),
    ("Blast", ("BLAST",)),
    ("Basophil", ("BA",)),
    ("Eosinophil", ("EO",)),
    ("Lymphocyte", ("LY",)),
    ("Variant lymphocyte", ("VLY",)),
    ("Monocyte", ("MO",)),
)
#: Reported apart from the white cells.
APART = {"ERB": "nrbc", "PLATELET": "platelets", "SMUDGE": "smudge"}


@dataclass(frozen=True)
class Differential:
    """Counts of one sample: ``rows`` as (name, count, whole percent of white cells)."""

    rows: list[tuple[str, int, int]]
    white_cells: int
    nrbc_per_100_wbc: float
    platelets: int
    smudge: int
    rejected: int

    def to_json(self) -> dict:
        return {
            "rows": [{"cell": n, "count": c, "percent": p} for n, c, p in self.rows],
            "white_cells": self.white_cells,
            "nrbc_per_100_wbc": self.nrbc_per_100_wbc,
            "platelets": self.platelets,
            "smudge": self.smudge,
            "rejected": self.rejected,
        }


def differential(results: list[CellResult]) -> Differential:
    """The differential of a sample's answers (``label`` as answered, or as a person corrected it)."""
    counted = Counter(r.label for r in results if r.label and r.status != "rejected")
    rows = [(name, sum(counted[label] for label in labels)) for name, labels in DIFFERENTIAL_ROWS]
    white = sum(count for _, count in rows)
    apart = {key: counted[label] for label, key in APART.items()}
    return Differential(
        [(name, count, round(100 * count / white) if white else 0) for name, count in rows],
        white,
        round(100 * apart["nrbc"] / white, 1) if white else 0.0,
        apart["platelets"],
        apart["smudge"],
        sum(r.status == "rejected" for r in results),
    )


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural unless one ("1 image", "3 white cells")."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def summary_line(found: Differential) -> str:
    """The figures reported apart from the white cells, in one sentence."""
    return (
        f"{counted(found.white_cells, 'white cell')}; nucleated red cells {found.nrbc_per_100_wbc:g} per 100 "
        f"white cells; {counted(found.platelets, display_name('platelet').lower())} and "
        f"{counted(found.smudge, 'smudge cell')} counted apart; {counted(found.rejected, 'image')} rejected."
    )
