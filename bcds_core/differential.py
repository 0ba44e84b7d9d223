"""The white-cell differential of a sample, as a haematologist reads it.

White cells only, ordered by lineage and maturation (neutrophil series from
mature to blast, then basophil, eosinophil, lymphocyte, monocyte), with
absolute counts and percentages to one decimal, so that rows of the same count
read alike and a blast in a 200-cell count reads 0.5 %, not 0 (whole percentages
read 7 x 14 % = 98 % for seven cells; made to add up to 100, they read one cell
as 13 % and another as 12 %); nucleated red
cells are reported per 100 white cells, and platelets and smudge cells apart,
as a manual count does. Every answered cell counts, as the model answered it
or as a person corrected it; rejected images do not, nor cells a person took
out of the count (unidentified, artefact), which are counted apart.
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
#: Groups a person may move a cell to that take it out of the count.
OUT_OF_COUNT_GROUPS = ("unidentified", "artefact")


@dataclass(frozen=True)
class Differential:
    """Counts of one sample: ``rows`` as (name, count, percent of white cells to one decimal)."""

    rows: list[tuple[str, int, float]]
    white_cells: int
    nrbc_per_100_wbc: float
    platelets: int
    smudge: int
    rejected: int
    nrbc: int = 0
    out_of_count: int = 0

    def to_json(self) -> dict:
        return {
            "rows": [{"cell": n, "count": c, "percent": p} for n, c, p in self.rows],
            "white_cells": self.white_cells,
            "nrbc_per_100_wbc": self.nrbc_per_100_wbc,
            "platelets": self.platelets,
            "smudge": self.smudge,
            "rejected": self.rejected,
            "nrbc": self.nrbc,
            "out_of_count": self.out_of_count,
        }


def differential(results: list[CellResult]) -> Differential:
    """The differential of a sample's answers (``label`` as answered, or as a person corrected it)."""
    counted = Counter(r.label for r in results if r.label and r.status != "rejected")
    rows = [(name, sum(counted[label] for label in labels)) for name, labels in DIFFERENTIAL_ROWS]
    white = sum(count for _, count in rows)
    apart = {key: counted[label] for label, key in APART.items()}
    return Differential(
        [(name, count, round(100 * count / white, 1) if white else 0.0) for name, count in rows],
        white,
        round(100 * apart["nrbc"] / white, 1) if white else 0.0,
        apart["platelets"],
        apart["smudge"],
        sum(r.status == "rejected" for r in results),
        apart["nrbc"],
        sum(r.group in OUT_OF_COUNT_GROUPS for r in results),
    )


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural unless one ("1 image", "3 white cells")."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def summary_line(found: Differential) -> str:
    """The figures reported apart from the white cells, in one sentence."""
    line = (
        f"{counted(found.white_cells, 'white cell')}; {counted(found.nrbc, 'nucleated red cell')} "
        f"({found.nrbc_per_100_wbc:g} per 100 white cells); "
        f"{counted(found.platelets, display_name('platelet').lower())} and "
        f"{counted(found.smudge, 'smudge cell')} counted apart; {counted(found.rejected, 'image')} rejected"
    )
    if found.out_of_count:
        line += f"; {counted(found.out_of_count, 'cell')} taken out of the count by the reviewer"
    return line + "."
