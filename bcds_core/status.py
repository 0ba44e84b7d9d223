"""The status of an answer: ok, review or rejected, with the reason in words.

``rejected``: no usable cell (no cell, a region filling the frame at a known
pixel size, a smear field with other than one white cell).
``review``: a cell was found but the answer should be checked by a person: a
possible abnormal cell (or one not excluded), a group of low calibrated confidence, a soft (out-of-focus) cell,
a cell cut by the border, colours unlike the training stains, a pixel size
assumed for a tight crop or for an image that is not a CellaVision frame,
other whole cells in view (CellaVision centres the cell it means; in leukaemic
blood neighbours are common), missing colour, an image of another set-up than the
CellaVision single-cell frames bcds learned from, unless a lab profile fitted on
that set-up reads it. ``ok`` only when none of these holds.

The confidence bar is on the group, the category most laboratories report: within a
clear group, a fine class below the bar (band or segmented neutrophil; the myelocyte
stages), where experts themselves disagree, is named with its rival in the message of
any status instead of sending the cell to review.
"""

from __future__ import annotations

from dataclasses import dataclass

from bcds_core.pixel_size import ASSUMED, PixelSize
from bcds_core.segmentation.mask_features import MAX_CELL_FRACTION, MaskFeatures
from bcds_core.taxonomy import ABNORMAL_GROUPS, display_name

#: Why each abnormal group needs a person, in the words a haematologist uses.
ABNORMAL_REASONS = {
    "blast": "possible blast",
    "abnormal_promyelocyte": "possible abnormal (leukaemic) promyelocyte",
    "variant_lymphocyte": "possible variant (atypical) lymphocyte",
    "smudge": "smudge cell (a broken cell: it cannot be classified)",
}


@dataclass(frozen=True)
class Evidence:
    """What the pipeline knows about one answer beyond the mask.

    Attributes:
        familiar: the network's features of the image lie among those of its training images.
        candidates: groups plausible at the release's conformal coverage, the answer first.
        colour_familiar: the image's colours are within those of the training stains.
        label_confidence: calibrated confidence of the fine class (None without an answer).
        group_confidence: calibrated confidence of the group (None without an answer).
        label_rival: the group's second likeliest fine class and its confidence, for a group of
            several fine classes (band or segmented neutrophil; myelocyte, metamyelocyte or
            promyelocyte).
        review_threshold: the release's lowest group confidence for ``ok``.
        group: the answered group (None without an answer).
        label: the answered fine class (None without an answer).
        flags: abnormal groups the model gives weight to without answering them.
        abnormal_share: the probability the abnormal groups hold together.
        abnormal_exclusion: the release's exclusion bar: a normal answer is ``ok`` only below it.
        pixel_size: the pixel size the image was read at.
        greyscale: the upload had no colour.
        in_focus: the cell keeps its fine detail (``focus.in_focus``).
        cell_description: measured size and nucleus share, for the abnormal-cell message.
        known_set_up: the image is of the kind bcds was trained on (a CellaVision single-cell
            frame), or it was read through a lab profile fitted on the lab's own set-up (False
            unless the analysis says so: an answer is never ``ok`` by omission).
        overruled_group: the group the network answered (through the lab's BatchNorm statistics
            where the profile has them) where the lab profile's head answered another (learned from
            a few dozen of the lab's cells: a person should see the change).
    """

    familiar: bool = True
    candidates: tuple[str, ...] = ()
    colour_familiar: bool = True
    label_confidence: float | None = None
    group_confidence: float | None = None
    label_rival: tuple[str, float] | None = None
    review_threshold: float = 0.5
    group: str | None = None
    label: str | None = None
    flags: tuple[str, ...] = ()
    abnormal_share: float = 0.0
    abnormal_exclusion: float = 1.0
    pixel_size: PixelSize | None = None
    greyscale: bool = False
    cell_description: str = ""
    in_focus: bool = True
    known_set_up: bool = False
    overruled_group: str | None = None


def rejection(features: MaskFeatures, greyscale: bool = False) -> str | None:
    """Why the image is not a usable single-cell image, or None."""
    if not features.cell_found and greyscale:
        return "No cell was found, and the image has no colour: bcds finds cells by their stain colours."
    if not features.cell_found:
        return "No cell was found in the image: bcds needs an image of one blood cell."
    if features.area_fraction > MAX_CELL_FRACTION:
        return (
            "The masked region fills most of the image at the pixel size used: check the pixel size, "
            "or crop one cell with some slide around it."
        )
    return None


def review_reasons(features: MaskFeatures, evidence: Evidence) -> list[str]:
    """Every reason a person should check the answer, most important first."""
    reasons = []
    if evidence.group in ABNORMAL_GROUPS:
        reasons.append(ABNORMAL_REASONS[evidence.group] + evidence.cell_description)
    reasons += [f"{ABNORMAL_REASONS[g]} is not excluded" for g in evidence.flags]
    if (
        evidence.group not in ABNORMAL_GROUPS
        and not evidence.flags
        and evidence.abnormal_share >= evidence.abnormal_exclusion
    ):
        reasons.append(
            f"an abnormal cell is not excluded (blast, abnormal promyelocyte, variant lymphocyte or smudge "
            f"cell: {evidence.abnormal_share:.0%} together)"
        )
    if (confidence := evidence.group_confidence) is not None and confidence < evidence.review_threshold:
        reasons.append(
            f"confidence {confidence:.1%} is below the review threshold {evidence.review_threshold:.0%}"
        )
    if len(evidence.candidates) > 1:
        names = " or ".join(display_name(g).lower() for g in evidence.candidates)
        reasons.append(f"it may be {names}")
    if evidence.overruled_group is not None:
        reasons.append(
            f"the lab profile's head changed the answer from {display_name(evidence.overruled_group).lower()}, "
            "learning from a few of your labelled cells"
        )
    if not evidence.familiar:
        reasons.append(
            "the image is unlike the cells bcds was trained on (another stain, microscope or an artefact?)"
        )
    if not evidence.in_focus:
        reasons.append(
            "the cell looks out of focus: its fine detail is missing (focus the microscope, or use a larger image)"
        )
    if features.touches_border:
        reasons.append("the cell is cut by the image border")
    if features.other_cells:
        others = (
            f"{features.other_cells} other whole cell{'s are' if features.other_cells > 1 else ' is'} in view"
        )
        reasons.append(f"{others}: the answer is for the cell at the centre")
    if not evidence.colour_familiar:
        reasons.append("the colours are unlike the stains bcds was trained on")
    if (
        evidence.pixel_size is not None
        and evidence.pixel_size.tight_crop
        and evidence.pixel_size.source == ASSUMED
    ):
        reasons.append("the pixel size was assumed for a tight crop of one cell (give it if you know it)")
    elif evidence.pixel_size is not None and evidence.pixel_size.unfounded:
        reasons.append("the pixel size is unknown (no red cells to measure): give it if you know it")
    if not evidence.known_set_up:
        reasons.append(
            "not a CellaVision single-cell image, the only kind bcds learned from: calibrate to your "
            "microscope (a lab profile) for answers it can vouch for"
        )
    if evidence.greyscale:
        reasons.append("the image has no colour")
    return reasons


def unsettled_fine_class(evidence: Evidence) -> str | None:
    """Where the group is clear but its fine class is below the bar, the two fine classes to choose
    between (None otherwise)."""
    bar, group_confidence = evidence.review_threshold, evidence.group_confidence
    if (
        evidence.label_rival is None
        or group_confidence is None
        or group_confidence < bar
        or evidence.label_confidence >= bar
    ):
        return None
    rival, rival_confidence = evidence.label_rival
    return (
        f"{display_name(evidence.group).lower()} is clear ({group_confidence:.1%}) but not which: "
        f"{display_name(evidence.label).lower()} {evidence.label_confidence:.1%} or {display_name(rival).lower()} "
        f"{rival_confidence:.1%}"
    )


#: How a message opens for each status that answers (``decide_status``).
REVIEW_OPENING, OK_OPENING = "Check by eye: ", "Single cell classified"


def decide_status(features: MaskFeatures, evidence: Evidence) -> tuple[str, str]:
    """(status, message) for one analysed image."""
    if (reason := rejection(features, evidence.greyscale)) is not None:
        return "rejected", reason
    reasons = review_reasons(features, evidence)
    fine_class = unsettled_fine_class(evidence)
    if reasons:
        return "review", REVIEW_OPENING + "; ".join(reasons + ([fine_class] if fine_class else [])) + "."
    return "ok", OK_OPENING + (f"; {fine_class}." if fine_class else ".")


def with_review_reason(status: str, message: str, reason: str) -> tuple[str, str]:
    """A decided (status, message) with one more reason for review that only the caller knows (a
    field's cell cut by the field's edge), after the reasons it has; a rejection stays as it is."""
    if status == "rejected":
        return status, message
    if status == "review":
        return "review", f"{message.removesuffix('.')}; {reason}."
    return "review", f"{REVIEW_OPENING}{reason}."
