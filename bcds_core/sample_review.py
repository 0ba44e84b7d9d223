"""A person's review of one sample: corrections with who and when, comments, sign-off, export and import.

The model's answers are never overwritten: a correction is kept beside the
answer and ``reviewed`` gives the answers as corrected, which the differential
and the report count. A cell can also be moved out of the count as
unidentified or as an artefact (smudge cells are a class of their own). The
sample is named by an ID, never by a patient's name. CSV exports escape cells
that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from bcds_core.analysis import CellResult
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP

#: Labels a person may move a cell to beyond the classes: out of the differential.
OUT_OF_COUNT = {"UNIDENTIFIED": "unidentified", "ARTEFACT": "artefact"}
RECLASSIFY_CHOICES: tuple[str, ...] = (*FINE_CLASSES, *OUT_OF_COUNT)
EXPORT_VERSION = 1
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Correction:
    """A person's label for one cell, and who gave it when (ISO 8601, UTC)."""

    label: str
    by: str
    at: str


@dataclass
class SampleReview:
    """Everything a person adds to a sample's answers."""

    sample_id: str = "sample"
    comments: str = ""
    signed_by: str | None = None
    signed_at: str | None = None
    corrections: dict[str, Correction] = field(default_factory=dict)

    def correct(self, file: str, label: str, by: str) -> None:
        """Move ``file``'s cell to ``label``.

        Raises:
            ValueError: for a label that is neither a class nor out of the count.
        """
        if label not in RECLASSIFY_CHOICES:
            raise ValueError(f"Unknown label '{label}'; choose one of {', '.join(RECLASSIFY_CHOICES)}.")
        self.corrections[file] = Correction(label, by or "unnamed reviewer", now())

    def sign(self, by: str) -> None:
        self.signed_by, self.signed_at = by, now()

    def reviewed(self, results: list[CellResult]) -> list[CellResult]:
        """The answers as corrected (copies; the model's answers stay as they were)."""
        out = []
        for result in results:
            correction = self.corrections.get(result.file)
            if correction is None:
                out.append(result)
                continue
            group = FINE_TO_GROUP.get(correction.label) or OUT_OF_COUNT[correction.label]
            label = correction.label if correction.label in FINE_TO_GROUP else None
            out.append(replace(result, label=label, group=group, status="review"))
        return out

    def to_json(self, results: list[CellResult]) -> str:
        """The sample with every answer, its correction and the sign-off, as JSON."""
        rows = [
            {
                **result.to_json(),
                "correction": asdict(c) if (c := self.corrections.get(result.file)) else None,
            }
            for result in results
        ]
        header = {k: v for k, v in asdict(self).items() if k != "corrections"}
        return json.dumps({"version": EXPORT_VERSION, **header, "cells": rows}, indent=1)

    def to_csv(self, results: list[CellResult]) -> str:
        """One row per cell: the answer and the correction, safe to open in a spreadsheet."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["sample_id", "file", "status", "group", "label", "label_confidence", "corrected_to", "by", "at"]
        )
        for result in results:
            c = self.corrections.get(result.file)
            row = [
                self.sample_id,
                result.file,
                result.status,
                result.group,
                result.label,
                result.label_confidence,
            ]
            writer.writerow(
                [spreadsheet_safe(v) for v in row + ([c.label, c.by, c.at] if c else ["", "", ""])]
            )
        return buffer.getvalue()

    @classmethod
    def from_json(cls, text: str) -> SampleReview:
        """A review exported by ``to_json`` (the answers themselves are recomputed from the images).

        Raises:
            ValueError: not an export of this version.
        """
        try:
            data = json.loads(text)
            if data.get("version") != EXPORT_VERSION:
                raise ValueError(f"export version {data.get('version')}")
            corrections = {
                cell["file"]: Correction(**cell["correction"])
                for cell in data["cells"]
                if cell.get("correction")
            }
            review = cls(
                str(data["sample_id"]),
                str(data.get("comments", "")),
                data.get("signed_by"),
                data.get("signed_at"),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"Not a bcds sample export: {error}") from error
        for file, correction in corrections.items():
            review.correct(file, correction.label, correction.by)
            review.corrections[file] = correction
        return review


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def spreadsheet_safe(value) -> str:
    """A CSV cell that no spreadsheet runs as a formula (a leading quote, as OWASP advises)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
