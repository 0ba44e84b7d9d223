"""The status of an answer: ok, review or rejected, with the reason in words.

``rejected``: no usable single cell (no cell, several whole cells, a region
filling the frame, or colours unlike any stained smear, as for a photo that is
not a cell image).
``review``: a cell was found but the answer should be checked by a person
(cell cut by the border, low calibrated confidence, missing colour).
"""

from __future__ import annotations

from bcds_core.segmentation.mask_features import MAX_CELL_FRACTION, MaskFeatures


def decide_status(
    features: MaskFeatures,
    looks_like_smear: bool,
    label_confidence: float | None,
    review_threshold: float,
    notes: list[str],
) -> tuple[str, str]:
    """(status, message) for one analysed image."""
    if not features.cell_found:
        return "rejected", "No cell was found in the image: bcds needs an image of one blood cell."
    if not looks_like_smear:
        return "rejected", (
            "This does not look like a stained blood-smear cell image: its colours are far from "
            "every image bcds was trained on."
        )
    if features.other_cells:
        return "rejected", (
            f"{features.other_cells + 1} whole cells are in view: bcds classifies images of a "
            "single cell. Crop the cell of interest and upload it again."
        )
    if features.area_fraction > MAX_CELL_FRACTION:
        return "rejected", (
            "The masked region fills most of the image: this does not look like a single-cell "
            "image at CellaVision magnification."
        )
    reasons = []
    if features.touches_border:
        reasons.append("the cell is cut by the image border")
    if label_confidence is not None and label_confidence < review_threshold:
        reasons.append(
            f"confidence {label_confidence:.0%} is below the review threshold {review_threshold:.0%}"
        )
    reasons += [note for note in notes if "greyscale" in note]
    if reasons:
        return "review", "Check by eye: " + "; ".join(reasons) + "."
    return "ok", "Single cell classified."
