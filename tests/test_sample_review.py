"""A person's review: corrections change the differential, not the model's answers; exports round-trip safely."""

import csv
import io

import pytest

from bcds_core.analysis import CellResult
from bcds_core.differential import differential
from bcds_core.sample_review import SampleReview


def answers():
    return [
        CellResult(file="a.jpg", ok=True, group="lymphocyte", label="LY", status="ok", label_confidence=0.9),
        CellResult(file="=cmd|'/C calc'!A0.jpg", ok=True, group="monocyte", label="MO", status="ok"),
        CellResult(file="c.jpg", ok=True, group="neutrophil", label="SNE", status="review"),
    ]


def test_a_correction_moves_the_cell_in_the_differential_and_keeps_the_model_answer():
    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "BLAST", "dr. a")
    review.correct("c.jpg", "ARTEFACT", "dr. a")
    counts = {name: count for name, count, _ in differential(review.reviewed(results)).rows}
    assert counts["Blast"] == 1 and counts["Lymphocyte"] == 0 and counts["Neutrophil (segmented)"] == 0
    assert differential(review.reviewed(results)).white_cells == 2
    assert results[0].label == "LY" and review.corrections["a.jpg"].by == "dr. a"
    with pytest.raises(ValueError, match="Unknown label"):
        review.correct("a.jpg", "CAT", "dr. a")


def test_export_and_import_round_trip_and_csv_cells_cannot_run_as_formulas():
    results, review = answers(), SampleReview("S-1", comments="=HYPERLINK(1)")
    review.correct("a.jpg", "MO", "dr. b")
    review.sign("dr. b")
    again = SampleReview.from_json(review.to_json(results))
    assert again.corrections == review.corrections and again.signed_by == "dr. b" and again.sample_id == "S-1"
    rows = list(csv.reader(io.StringIO(review.to_csv(results))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[2][1].startswith("'=")
    with pytest.raises(ValueError, match="Not a bcds sample export"):
        SampleReview.from_json('{"version": 99}')
