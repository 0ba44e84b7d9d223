"""The review threshold bars the group; a fine class below it within a clear group is named, not reviewed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bcds_core.classifier.model import second_in_group
from bcds_core.segmentation.mask_features import MaskFeatures
from bcds_core.status import Evidence, decide_status
from bcds_core.taxonomy import FINE_CLASSES, GROUPS

FEATURES = MaskFeatures(cell_found=True, area_fraction=0.2, touches_border=False, other_cells=0)


def band_neutrophil(confidence: float, group_confidence: float, segmented: float) -> Evidence:
    """A band-neutrophil answer, segmented neutrophil its rival, under a review threshold of 0.83."""
    return Evidence(
        known_set_up=True,
        group="neutrophil",
        label="BNE",
        label_confidence=confidence,
        group_confidence=group_confidence,
        label_rival=("SNE", segmented),
        review_threshold=0.83,
    )


UNCLEAR_FINE_CLASS = (
    "neutrophil is clear (97.0%) but not which: band neutrophil 60.0% or segmented neutrophil 37.0%"
)


def test_a_clear_group_with_an_unclear_fine_class_is_ok_and_names_the_two_fine_classes():
    status, message = decide_status(FEATURES, band_neutrophil(0.6, 0.97, 0.37))
    assert status == "ok"
    assert message == f"Single cell classified; {UNCLEAR_FINE_CLASS}."


def test_the_unclear_fine_class_is_named_beside_the_reasons_for_review():
    features = replace(FEATURES, touches_border=True)
    status, message = decide_status(features, band_neutrophil(0.6, 0.97, 0.37))
    assert status == "review"
    assert "the cell is cut by the image border" in message and UNCLEAR_FINE_CLASS in message


def test_an_unclear_group_is_reviewed_with_its_confidence_against_the_threshold():
    status, message = decide_status(FEATURES, band_neutrophil(0.45, 0.7, 0.25))
    assert status == "review"
    assert "confidence 70.0% is below the review threshold 83%" in message and "is clear" not in message


def test_a_clear_fine_class_needs_no_note():
    assert decide_status(FEATURES, band_neutrophil(0.9, 0.97, 0.07)) == ("ok", "Single cell classified.")


def test_the_second_fine_class_of_a_group():
    fine = np.zeros(len(FINE_CLASSES))
    fine[[FINE_CLASSES.index(c) for c in ("MY", "MMY", "PMY", "SNE")]] = (0.5, 0.1, 0.3, 0.1)
    assert FINE_CLASSES[second_in_group(fine, GROUPS.index("ig"))] == "PMY"
    assert second_in_group(fine, GROUPS.index("monocyte")) is None


def test_the_analyzer_names_the_fine_classes_wherever_only_the_fine_class_is_unclear(analyzer, sample_paths):
    results = analyzer.analyze_bytes([(str(p), p.read_bytes()) for p in sample_paths])
    unclear_fine = [
        r
        for r in results
        if r.label_confidence is not None
        and r.label_confidence < analyzer.review_threshold <= r.group_confidence
        and r.group in ("neutrophil", "ig")
    ]
    assert unclear_fine, (
        "the shipped samples hold band/segmented or myelocyte stages the release hesitates on"
    )
    for r in unclear_fine:
        assert f"{r.group_confidence:.1%}) but not which: " in r.message, r.file


def test_an_answer_a_lab_profile_moved_to_another_group_is_reviewed_naming_the_networks_own():
    """A head learned from a few dozen of the lab's cells may overrule the network, not on its own say-so."""
    overruled = replace(band_neutrophil(0.9, 0.97, 0.07), overruled_group="monocyte")
    status, message = decide_status(FEATURES, overruled)
    assert status == "review"
    assert "the lab profile's head changed the answer from monocyte" in message


def test_an_image_of_another_set_up_is_reviewed_until_a_lab_profile_reads_it():
    """An unseen set-up whose stain passes the colour check, with its pixel size given: BCCD crops
    read so were `ok` at 84-93 % right (docs/robustness.md), so such answers go to review."""
    confident = Evidence(
        known_set_up=True, group="lymphocyte", label="LY", label_confidence=0.99, group_confidence=0.99
    )
    assert decide_status(FEATURES, confident)[0] == "ok"
    status, message = decide_status(FEATURES, replace(confident, known_set_up=False))
    assert status == "review"
    assert "not a CellaVision single-cell image, the only kind bcds learned from" in message
