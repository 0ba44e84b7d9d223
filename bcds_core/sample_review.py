"""A person's review of one sample: corrections with who and when, comments, sign-off, export and import.

The model's answers are never overwritten: a correction is kept beside the
answer and ``reviewed`` gives the answers as corrected, which the differential,
the screen and the report count. A corrected answer has the status
``corrected`` and none of the model's flags or confidences, which were about
the model's answer, not the person's. A cell can also be moved out of the count as
unidentified or as an artefact (smudge cells are a class of their own). The
sample is named by an ID, never by a patient's name. CSV exports escape cells
that a spreadsheet would run as a formula.

A sign-off vouches for the sample as it was then. A change made afterwards is
kept as an ``Amendment`` and makes the sign-off stale: the sign-off stays on
record (and in every export) beside a note asking for a new one, and signing
again files the old sign-off, with the changes that outdated it, under
``earlier_sign_offs``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import PurePath

from bcds_core.analysis import CellResult
from bcds_core.differential import OUT_OF_COUNT_GROUPS, counted
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, display_name

#: Labels a person may move a cell to beyond the classes: out of the differential.
OUT_OF_COUNT = {group.upper(): group for group in OUT_OF_COUNT_GROUPS}
#: The status of an answer a person corrected (beside the model's ok, review and rejected).
CORRECTED = "corrected"
RECLASSIFY_CHOICES: tuple[str, ...] = (*FINE_CLASSES, *OUT_OF_COUNT)
#: Version 2 added the amendments after a sign-off and the earlier sign-offs; version 1 still loads.
EXPORT_VERSION = 2
READABLE_VERSIONS = (1, EXPORT_VERSION)
#: The free-text fields of a review, by how a change to them is named in an amendment.
TEXT_FIELDS = {"sample_id": "sample ID", "comments": "comments"}
#: Changes a stale sign-off's note names one by one; the rest are counted (the export lists them all).
NOTE_CHANGES = 5
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Correction:
    """A person's label for one cell, and who gave it when (ISO 8601, UTC)."""

    label: str
    by: str
    at: str


@dataclass(frozen=True)
class Amendment:
    """A change made after the sample was signed off: what changed, who changed it and when."""

    what: str
    by: str
    at: str


@dataclass(frozen=True)
class SignOff:
    """A sign-off that a later one replaced, with the changes made between the two."""

    by: str
    at: str
    amended: tuple[Amendment, ...]


@dataclass
class SampleReview:
    """Everything a person adds to a sample's answers.

    ``signed_by``/``signed_at`` are the latest sign-off; ``amendments`` the changes
    made since (none: the sign-off holds). ``read_with`` is what the answers were
    last read with (pixel size, lab profile): reading them otherwise changes them.
    """

    sample_id: str = "sample"
    comments: str = ""
    signed_by: str | None = None
    signed_at: str | None = None
    corrections: dict[str, Correction] = field(default_factory=dict)
    amendments: list[Amendment] = field(default_factory=list)
    earlier_sign_offs: list[SignOff] = field(default_factory=list)
    read_with: str | None = None

    def correct(self, file: str, label: str, by: str, confirmed: bool = False) -> None:
        """Move ``file``'s cell to ``label`` (choosing the label it already has changes nothing), or,
        ``confirmed``, record that a person confirmed the model's own ``label`` for it.

        Raises:
            ValueError: for a label that is neither a class nor out of the count.
        """
        if label not in RECLASSIFY_CHOICES:
            raise ValueError(f"Unknown label '{label}'; choose one of {', '.join(RECLASSIFY_CHOICES)}.")
        if (kept := self.corrections.get(file)) and kept.label == label:
            return
        self.corrections[file] = Correction(label, by or "unnamed reviewer", now())
        done = "confirmed as" if confirmed else "moved to"
        self._amended(f"{file_name(file)} {done} {choice_name(label)}", by)

    def edit(self, name: str, text: str, by: str) -> None:
        """Set the sample ID or the comments (``name`` is a key of ``TEXT_FIELDS``)."""
        if getattr(self, name) == text:
            return
        setattr(self, name, text)
        self._amended(f"{TEXT_FIELDS[name]} edited", by)

    def note_reading(self, read_with: str, by: str) -> None:
        """Record what the answers are read with now; a change after sign-off is an amendment
        (another pixel size or lab profile gives other answers than those signed)."""
        if self.read_with is not None and self.read_with != read_with:
            self._amended(f"answers read again with {read_with} (were read with {self.read_with})", by)
        self.read_with = read_with

    def continued_with(self, added: list[str], removed: list[str], by: str) -> SampleReview:
        """A copy of this review for the same sample with ``added`` files uploaded beside its own and
        ``removed`` ones taken out (their corrections go with them); after sign-off each change is
        an amendment (the signed count held other cells)."""
        kept = replace(
            self,
            corrections={f: c for f, c in self.corrections.items() if f not in removed},
            amendments=list(self.amendments),
            earlier_sign_offs=list(self.earlier_sign_offs),
        )
        for files, what in ((added, "added"), (removed, "removed")):
            if files:
                names = ", ".join(file_name(f) for f in files[:3]) + (
                    f" and {len(files) - 3} more" if len(files) > 3 else ""
                )
                kept._amended(f"{counted(len(files), 'image')} {what} ({names})", by)
        return kept

    def sign(self, by: str) -> None:
        """Sign the sample as it is now; an earlier sign-off is kept with the changes made since it."""
        if self.signed_by:
            self.earlier_sign_offs.append(SignOff(self.signed_by, self.signed_at, tuple(self.amendments)))
        self.signed_by, self.signed_at, self.amendments = by, now(), []

    def _amended(self, what: str, by: str) -> None:
        if self.signed_by:
            self.amendments.append(Amendment(what, by or "unnamed reviewer", now()))

    def stale_note(self) -> str | None:
        """What changed since the sign-off, by whom and when, and that it needs signing again; None if current."""
        if not self.amendments:
            return None
        names = ", ".join(dict.fromkeys(a.by for a in self.amendments))
        changes = "; ".join(a.what for a in self.amendments[:NOTE_CHANGES])
        if (more := len(self.amendments) - NOTE_CHANGES) > 0:
            changes += f"; {more} more"
        return (
            f"Changed after sign-off by {names} at {self.amendments[-1].at}: {changes}. "
            f"Sign again (the sign-off by {self.signed_by} at {self.signed_at} no longer covers it)."
        )

    def sign_off_lines(self) -> list[str]:
        """The sign-off record as sentences for a report: the latest, any note, the earlier ones, comments."""
        lines = [
            f"Signed off by {self.signed_by} at {self.signed_at}." if self.signed_by else "Not signed off."
        ]
        lines += [note] if (note := self.stale_note()) else []
        lines += [
            f"Earlier sign-off by {s.by} at {s.at}, then changed: {'; '.join(a.what for a in s.amended) or '-'}."
            for s in self.earlier_sign_offs
        ]
        return lines + ([f"Comments: {self.comments}"] if self.comments else [])

    def reviewed(self, results: list[CellResult]) -> list[CellResult]:
        """The answers as corrected (copies; the model's answers stay as they were). A rejected image
        is not counted, corrected or not: read at another pixel size after its correction, it sat in
        the "not counted" bin, where it cannot be changed, and was counted all the same. Its
        correction stays on record and counts again once the image is read."""
        out = []
        for result in results:
            correction = self.corrections.get(result.file)
            if correction is None or result.status == "rejected":
                out.append(result)
                continue
            group = FINE_TO_GROUP.get(correction.label) or OUT_OF_COUNT[correction.label]
            label = correction.label if correction.label in FINE_TO_GROUP else None
            out.append(
                replace(
                    result,
                    label=label,
                    group=group,
                    status=CORRECTED,
                    message=correction_line(result, correction),
                    flags=(),
                    likely_blast_equivalent=False,
                    group_confidence=None,
                    label_confidence=None,
                )
            )
        return out

    def correction_lines(self, results: list[CellResult]) -> list[str]:
        """Each correction of this batch as a sentence for a report, in upload order."""
        return [correction_line(r, c) for r in results if (c := self.corrections.get(r.file))]

    def to_json(self, results: list[CellResult], content_keys: list[str] | None = None) -> str:
        """The sample with every answer, its correction and the sign-off, as JSON; with the uploads'
        ``content_keys``, each cell's, so that an import can tell other images of the same names."""
        keys = content_keys or [None] * len(results)
        rows = [
            {
                **result.to_json(),
                "content_key": key,
                "correction": asdict(c) if (c := self.corrections.get(result.file)) else None,
            }
            for result, key in zip(results, keys, strict=True)
        ]
        header = {k: v for k, v in asdict(self).items() if k != "corrections"}
        header["sign_off_note"] = self.stale_note()
        return json.dumps({"version": EXPORT_VERSION, **header, "cells": rows}, indent=1)

    def to_csv(self, results: list[CellResult]) -> str:
        """One row per cell: the answer, the correction and the sample's sign-off, what the answers were
        read with and the comments (as the JSON export holds them), safe in a spreadsheet."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["sample_id", "file", "status", "group", "label", "label_confidence", "corrected_to", "by", "at"]
            + ["signed_by", "signed_at", "sign_off_note", "read_with", "comments"]
        )
        sign_off = [self.signed_by, self.signed_at, self.stale_note(), self.read_with, self.comments]
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
                [spreadsheet_safe(v) for v in row + ([c.label, c.by, c.at] if c else ["", "", ""]) + sign_off]
            )
        return buffer.getvalue()

    @classmethod
    def from_json(cls, text: str, files: list[tuple[str, str]] | None = None) -> SampleReview:
        """A review exported by ``to_json`` (the answers themselves are recomputed from the images).

        With ``files``, the (name, content key) of each file of the batch it is to continue: an
        export of other files, or of other images under the same names (a camera's IMG_0001...),
        is refused, so that one sample's corrections and sign-off never attach to another.

        Raises:
            ValueError: not an export of a version this code reads, a correction to an unknown
                label, or an export of other files than ``files``.
        """
        try:
            data = json.loads(text)
            if data.get("version") not in READABLE_VERSIONS:
                raise ValueError(f"export version {data.get('version')}")
            exported = [(as_text(cell["file"]), cell.get("content_key")) for cell in data["cells"]]
            corrections = {
                as_text(cell["file"]): imported(Correction, cell["correction"])
                for cell in data["cells"]
                if cell.get("correction")
            }
            if unknown := {c.label for c in corrections.values()} - set(RECLASSIFY_CHOICES):
                raise ValueError(f"unknown labels {', '.join(sorted(unknown))}")
            signed = [data.get("signed_by"), data.get("signed_at")]
            if any(value is not None and not isinstance(value, str) for value in signed):
                raise ValueError("the sign-off is not text")
            read_with = data.get("read_with")
            review = cls(
                str(data["sample_id"]),
                str(data.get("comments", "")),
                *signed,
                corrections,
                [imported(Amendment, a) for a in data.get("amendments", [])],
                [
                    SignOff(
                        as_text(s["by"]),
                        as_text(s["at"]),
                        tuple(imported(Amendment, a) for a in s["amended"]),
                    )
                    for s in data.get("earlier_sign_offs", [])
                ],
                None if read_with is None else as_text(read_with),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"Not a bcds sample export: {error}") from error
        if files is not None:
            check_same_files(exported, files)
        return review


def check_same_files(exported: list[tuple[str, str | None]], files: list[tuple[str, str]]) -> None:
    """Refuse an export whose files are not this batch's: by name, then by content where the export
    holds it (an export written before content keys were kept is checked by name alone).

    Raises:
        ValueError: naming up to three files that differ.
    """
    names, batch_names = [name for name, _ in exported], [name for name, _ in files]
    missing, added = sorted(set(names) - set(batch_names)), sorted(set(batch_names) - set(names))
    if missing or added:
        raise ValueError(
            f"This export is of another batch: {len(missing)} of its {len(names)} files are not in "
            f"this one ({', '.join(missing[:3]) or '-'}) and {len(added)} of this batch's are not in it "
            f"({', '.join(added[:3]) or '-'}). Upload the same images to continue its review."
        )
    content = dict(files)
    if other := sorted(name for name, key in exported if key is not None and key != content[name]):
        raise ValueError(
            f"This export is of other images under the same names: {len(other)} of its {len(names)} "
            f"files differ ({', '.join(other[:3])}). Upload the same images to continue its review."
        )


def as_text(value) -> str:
    """A field of an imported review that must be text (a number there would break every page run
    that shows the review, not only the import).

    Raises:
        ValueError: it is not.
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def imported(record: type, fields: dict):
    """A ``Correction`` or ``Amendment`` from an import: exactly its fields, each text.

    Raises:
        ValueError: a field is missing, extra or not text.
    """
    names = [f.name for f in dataclasses.fields(record)]
    if not isinstance(fields, dict) or sorted(fields) != sorted(names):
        raise ValueError(f"a {record.__name__.lower()} needs exactly {', '.join(names)}")
    return record(**{name: as_text(fields[name]) for name in names})


def correction_line(result: CellResult, correction: Correction) -> str:
    """What the model answered for the cell and what a person moved it to (or confirmed it as,
    the model's own class), by whom and when."""
    answered = display_name(result.label or result.group) if result.group else "no answer"
    done = "confirmed it as" if correction.label == result.label else "moved it to"
    aside = " (not counted while the image is rejected)" if result.status == "rejected" else ""
    return (
        f"{file_name(result.file)}: the model answered {answered}; {correction.by} {done} "
        f"{choice_name(correction.label)} at {correction.at}{aside}."
    )


def file_name(file: str) -> str:
    """A file's name without its folders, as a sample's record and report give it: a typed path
    (``/data/Smith_J/c1.jpg``) or a zip's folder may name the patient, and a sample is named by its ID only."""
    return PurePath(file).name


def choice_name(label: str) -> str:
    """How a person reads a label they may move a cell to ("Blast", "Unidentified")."""
    return OUT_OF_COUNT[label].capitalize() if label in OUT_OF_COUNT else display_name(label)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def spreadsheet_safe(value) -> str:
    """A CSV cell that no spreadsheet runs as a formula (a leading quote, as OWASP advises)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
