"""Sample-level leukaemia screening from the cells of one sample: a prompt for a person, not a diagnosis.

Peripheral blood of a healthy adult holds no blasts; in acute leukaemia they
circulate, and in acute promyelocytic leukaemia (APL) the leukaemic cells are
abnormal promyelocytes. The screen counts the sample's white cells by group,
takes blasts and abnormal promyelocytes together as blast equivalents (as the
WHO does for APL), and suspects leukaemia when they reach
``SUSPECT_FRACTION`` of the white cells and ``SUSPECT_MIN_CELLS`` cells. A
cell answered as another group still counts as a blast equivalent where its
probability of being one reaches the release's screening bar
(``AbnormalThresholds.screen_bar``): a blast of another hospital is often read
as a monocyte or immature granulocyte with much of its probability on "blast",
and counting answers alone missed patients whose blasts were read so.
``apl_score`` is how much of the blast-equivalent probability falls on
abnormal promyelocytes rather than blasts: near 1 for an APL-like sample,
near 0 for other AML (the question of Sidhom et al. 2021).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bcds_core.analysis import CellResult
from bcds_core.classifier.abnormal_thresholds import BLAST_EQUIVALENTS
from bcds_core.differential import OUT_OF_COUNT_GROUPS, counted
from bcds_core.pixel_size import ASSUMED
from bcds_core.sample_review import CORRECTED
from bcds_core.taxonomy import FINE_CLASSES, display_name

#: Groups that are not white cells of the differential (the last two only after a person's review).
NOT_WHITE_CELLS = ("platelet", "erythroblast", "smudge", *OUT_OF_COUNT_GROUPS)
#: Blast equivalents among white cells from which leukaemia is suspected, and the fewest cells.
SUSPECT_FRACTION = 0.05
SUSPECT_MIN_CELLS = 2
#: White cells a differential counts: fewer without a blast equivalent do not rule leukaemia out.
DIFFERENTIAL_CELLS = 100
DISCLAIMER = "A screening aid for a person to check, not a diagnosis."


@dataclass(frozen=True)
class Screen:
    """The screening summary of one sample (the last line of ``screen --json``)."""

    n: int
    counts: dict[str, int]
    blast_fraction: float
    leukaemia_suspected: bool
    apl_score: float | None
    message: str
    driving: list[CellResult] = field(repr=False)
    rule: str

    @property
    def driving_cells(self) -> list[str]:
        """The files of the cells that drove it, in upload order."""
        return [r.file for r in self.driving]

    def driving_line(self, name=lambda result: result.file, separator: str = ", ") -> str:
        """The cells that drove it, each by ``name(result)``; a cell counted by its probability says
        what it was answered ("3.jpg (answered monocyte, likely a blast equivalent)"), or the list
        would show a monocyte without a flag among the blasts."""
        return separator.join(
            f"{name(r)} (answered {display_name(r.group).lower()}, likely a blast equivalent)"
            if counted_by_probability(r)
            else name(r)
            for r in self.driving
        )

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "counts": self.counts,
            "blast_fraction": self.blast_fraction,
            "leukaemia_suspected": self.leukaemia_suspected,
            "apl_score": self.apl_score,
            "message": self.message,
            "rule": self.rule,
            "driving_cells": self.driving_cells,
        }


def apl_score(fine_probabilities: list[np.ndarray]) -> float | None:
    """Share of the sample's blast-equivalent probability that falls on abnormal promyelocytes."""
    if not fine_probabilities:
        return None
    stacked = np.stack(fine_probabilities)
    promyelocytes = stacked[:, FINE_CLASSES.index("ABPMY")].sum()
    blasts = stacked[:, FINE_CLASSES.index("BLAST")].sum()
    return round(float(promyelocytes / (promyelocytes + blasts)), 4) if promyelocytes + blasts > 0 else None


def screened_cells(results: list[CellResult]) -> tuple[list[CellResult], int, int]:
    """(the answered cells of the sample, duplicate uploads left out, smear fields left out).

    Rejected files do not count; nor does an image uploaded twice (its content, whatever its
    name: two copies of one blast made a sample "suspected"), nor a smear field read as one cell
    (the app's field mode and ``screen`` give its white cells instead). A field's cells are keyed
    ``<field's key>#<n>`` (``analyze_field``), so a field uploaded twice is one duplicate upload.
    """
    answered = [r for r in results if r.group and r.status != "rejected"]
    fields = [r for r in answered if r.field_cells is not None]
    cells, seen, repeated = [], set(), []
    for r in (r for r in answered if r.field_cells is None):
        if r.content_key is None or r.content_key not in seen:
            cells.append(r)
            seen.add(r.content_key)
        else:
            repeated.append(r)
    of_fields = {r.file.rsplit("#", 1)[0] for r in repeated if "#" in r.content_key}
    return cells, sum("#" not in r.content_key for r in repeated) + len(of_fields), len(fields)


def counted_by_probability(result: CellResult) -> bool:
    """The screen counts this cell as a blast equivalent by its probability, not by its answer."""
    return result.likely_blast_equivalent and result.group not in BLAST_EQUIVALENTS


def screen_rule(screen_bar: float | None) -> str:
    """The rule in words, for the release's screening bar (None: a release without one)."""
    counted_as = (
        f"answered as such or likely to be one (their probability together at or above the release's "
        f"screening bar, {screen_bar:.3f}, fitted on the normal cells of patients the network did not train on)"
        if screen_bar is not None
        else "answered as such"
    )
    return (
        f"leukaemia is suspected when blasts and abnormal promyelocytes, {counted_as}, make up at least "
        f"{SUSPECT_FRACTION:.0%} of the white cells and number at least {SUSPECT_MIN_CELLS}"
    )


def screen(results: list[CellResult], screen_bar: float | None = None) -> Screen:
    """Summarise the answered cells of one sample (``screened_cells``).

    A white cell likely to be a blast equivalent (``CellResult.likely_blast_equivalent``, set by the
    release's ``screen_bar``, which the rule names) counts as one whatever its answer; the white
    cells are the differential's, so the two never disagree on how many there are."""
    answered, duplicates, fields = screened_cells(results)
    counts = dict(Counter(r.group for r in answered))
    white = [r for r in answered if r.group not in NOT_WHITE_CELLS]
    driving = [r for r in white if r.group in BLAST_EQUIVALENTS or counted_by_probability(r)]
    fraction = len(driving) / len(white) if white else 0.0
    suspected = fraction >= SUSPECT_FRACTION and len(driving) >= SUSPECT_MIN_CELLS
    score = apl_score([r.fine_probabilities for r in white if r.fine_probabilities is not None])
    among = f"among {counted(len(white), 'white cell')} ({fraction:.1%})"
    if suspected:
        message = (
            f"Leukaemia suspected: {blast_equivalent_kinds(driving)} {among}: review the cells that drove it."
        )
    elif not white:
        message = "Not screened: no white cells were answered, so the screen cannot judge this sample."
    elif driving:
        short = (
            f"at least {SUSPECT_MIN_CELLS}"
            if fraction >= SUSPECT_FRACTION
            else f"at least {SUSPECT_FRACTION:.0%} of the white cells"
        )
        kinds = f" ({blast_equivalent_kinds(driving)})" if any(map(counted_by_probability, driving)) else ""
        message = (
            f"No leukaemia suspected, but {counted(len(driving), 'blast equivalent')}{kinds} {among}: the "
            f"rule needs {short}. Review the cells that drove it."
        )
    elif len(white) < DIFFERENTIAL_CELLS:
        message = (
            f"No blast equivalent {among}: too few cells to rule leukaemia out (a differential counts "
            f"{DIFFERENTIAL_CELLS})."
        )
    else:
        message = f"No leukaemia suspected: no blast equivalent {among}."
    parts = [message, review_line(answered), assumed_size_line(white)]
    if duplicates:
        parts.append(f"{counted(duplicates, 'duplicate image')} counted once.")
    if fields:
        parts.append(f"{counted(fields, 'smear field')} left out: screen their cells as fields.")
    message = " ".join(part for part in [*parts, DISCLAIMER] if part)
    return Screen(
        len(answered),
        counts,
        round(fraction, 4),
        suspected,
        score,
        message,
        driving,
        screen_rule(screen_bar),
    )


def blast_equivalent_kinds(driving: list[CellResult]) -> str:
    """The cells counted as blast equivalents, by how: "2 blasts, 0 abnormal promyelocytes and 3
    cells answered as another group but likely a blast or abnormal promyelocyte"."""
    answered = Counter(r.group for r in driving)
    kinds = ", ".join(counted(answered.get(g, 0), display_name(g).lower()) for g in BLAST_EQUIVALENTS)
    if likely := sum(map(counted_by_probability, driving)):
        return (
            f"{kinds} and {counted(likely, 'cell')} answered as another group but likely a blast or "
            "abnormal promyelocyte"
        )
    return kinds


def assumed_size_line(white: list[CellResult]) -> str:
    """Where at least half of the white cells were read at an assumed pixel size, for a tight crop or
    an image that is not a CellaVision frame, and answered by the model (not corrected by a person),
    a sentence that says the screen is unsure for them; empty otherwise.

    A blast is told from a lymphocyte or monocyte partly by its size. The BCCD crops of healthy
    donors (tight crops of another microscope, each at an assumed size) hold 8 % blast equivalents,
    enough for "suspected". Through lab profiles fitted on 31 of them the other crops were suspected
    in 2 of 10 draws, and in 9 of 10 without: the two are the draws whose profile kept each crop's
    own assumed size, where the others read them at the size the lab's cells chose
    (``scripts/profile_study.py``). The decision itself stands: a screen that hid a leukaemia for
    want of a ruler would be worse.
    """
    assumed = sum(
        r.status != CORRECTED
        and r.pixel_size is not None
        and r.pixel_size.source == ASSUMED
        and (r.pixel_size.tight_crop or r.pixel_size.unfounded)
        for r in white
    )
    if not white or 2 * assumed < len(white):
        return ""
    if assumed == 1:
        which = "The white cell was" if len(white) == 1 else f"1 of the {len(white)} white cells was"
    else:
        which = (
            f"All {assumed} white cells were"
            if assumed == len(white)
            else f"{assumed} of the {len(white)} white cells were"
        )
    return (
        f"{which} read at an assumed pixel size "
        "(tight crops, or images that are not CellaVision frames), and a blast is told partly by its size: "
        "give the pixel size if you know it, and screen again."
    )


def review_line(results: list[CellResult]) -> str:
    """How many answered cells need a look, and how many of those may be blasts, in one sentence
    (empty where none does).

    Said in the screen's message: a cell flagged "possible blast" counts as a blast equivalent only
    where it also reaches the screening bar, so "no leukaemia suspected" alone would hide the others.
    """
    review = [r for r in results if r.status == "review" and r.label]
    if not review:
        return ""
    blasts = sum("blast" in r.flags for r in review)
    flagged = f", {blasts} of them flagged as a possible blast" if blasts else ""
    need = "needs" if len(review) == 1 else "need"
    return f"{counted(len(review), 'cell')} {need} a look (status review){flagged}."
