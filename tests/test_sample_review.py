"""A person's review: corrections change the differential, not the model's answers; exports round-trip safely."""

import csv
import io
import json

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
    assert dict(zip(rows[0], rows[1], strict=True))["comments"] == "'=HYPERLINK(1)"  # as the JSON holds them
    with pytest.raises(ValueError, match="Not a bcds sample export"):
        SampleReview.from_json('{"version": 99}')


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["amendments"].append({"what": 1, "by": None, "at": "x"}),
        lambda d: d["amendments"].append({"what": "x", "by": "y"}),
        lambda d: d.update(signed_by=["dr. b"]),
        lambda d: d["cells"][0].update(correction={"label": "MO", "by": 7, "at": "t"}),
        lambda d: d["earlier_sign_offs"].append({"by": {}, "at": "t", "amended": []}),
    ],
)
def test_an_import_with_fields_that_are_not_text_is_refused_not_kept(damage):
    """A review that would break every later page run (joining a number into a note) never gets in."""
    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "MO", "dr. b")
    review.sign("dr. b")
    review.correct("b.jpg", "LY", "dr. c")
    data = json.loads(review.to_json(results))
    damage(data)
    with pytest.raises(ValueError, match="Not a bcds sample export"):
        SampleReview.from_json(json.dumps(data))
    assert SampleReview.from_json(review.to_json(results)).stale_note() == review.stale_note()


def test_a_change_after_sign_off_makes_it_stale_and_every_export_carries_the_note():
    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "MO", "dr. a")
    review.sign("dr. a")
    assert review.stale_note() is None
    review.correct("a.jpg", "MO", "dr. b")  # the label it already has: no change
    review.edit("comments", "", "dr. b")
    assert review.stale_note() is None
    review.correct("c.jpg", "BLAST", "dr. b")
    review.edit("comments", "blasts?", "dr. b")
    note = review.stale_note()
    assert (
        note.startswith("Changed after sign-off by dr. b at ")
        and "c.jpg moved to Blast; comments edited" in note
    )
    assert "Sign again" in note and review.signed_by == "dr. a"  # the old sign-off stays on record
    exported = json.loads(review.to_json(results))
    assert exported["sign_off_note"] == note and exported["signed_by"] == "dr. a"
    assert [a["what"] for a in exported["amendments"]] == ["c.jpg moved to Blast", "comments edited"]
    rows = list(csv.DictReader(io.StringIO(review.to_csv(results))))
    assert {row["sign_off_note"] for row in rows} == {note} and rows[0]["signed_by"] == "dr. a"
    assert note in review.sign_off_lines()
    again = SampleReview.from_json(review.to_json(results))
    assert again.stale_note() == note and again.corrections == review.corrections

    review.sign("dr. b")
    assert review.stale_note() is None and review.signed_by == "dr. b"
    assert review.earlier_sign_offs[0].by == "dr. a" and len(review.earlier_sign_offs[0].amended) == 2
    assert any(line.startswith("Earlier sign-off by dr. a") for line in review.sign_off_lines())
    assert SampleReview.from_json(review.to_json(results)).earlier_sign_offs == review.earlier_sign_offs


def test_a_version_1_export_still_loads():
    old = {
        "version": 1,
        "sample_id": "S-0",
        "comments": "",
        "signed_by": "dr. a",
        "signed_at": "t",
        "cells": [],
    }
    review = SampleReview.from_json(json.dumps(old))
    assert review.signed_by == "dr. a" and review.stale_note() is None and review.amendments == []


def test_the_pdf_report_prints_the_sign_off_and_the_note_of_a_later_change():
    from bcds_core.report import sample_report

    results, review = answers(), SampleReview("S-1")
    review.sign("dr. a")
    review.correct("a.jpg", "BLAST", "dr. b")
    text = pdf_text(sample_report(review.reviewed(results), "S-1", {}, review.sign_off_lines()))
    assert "Signed off by dr. a" in text and "Changed after sign-off by dr. b" in text
    flat = " ".join(text.split())
    assert all(name in flat for name in ("Acevedo", "Sidhom", "Zheng", "CC BY 4.0"))


def test_the_pdf_report_keeps_names_in_any_script_apart_and_a_long_id_whole():
    from bcds_core.report import sample_report

    results, review = answers(), SampleReview("S")
    review.sign("Иван Петров")
    long_id = "Ω-" + "x" * 90
    pages = [
        pdf_text(sample_report(review.reviewed(results), sample_id, {}, review.sign_off_lines()))
        for sample_id in ("样本1", "标本1", long_id)
    ]
    assert "<U+6837><U+672C>1" in pages[0] and "<U+6807><U+672C>1" in pages[1]
    assert all("Signed off by Иван Петров" in text for text in pages)
    assert long_id in "".join(pages[2].split())  # wrapped over lines, not cut at the page's edge


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF's pages, as a reader extracts it (the font's glyphs mapped back to Unicode)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_corrected_answer_drops_the_models_flags_and_confidences_and_needs_no_more_look():
    from bcds_core.screening import review_line, screen

    flagged = CellResult(
        file="b.jpg",
        ok=True,
        group="lymphocyte",
        label="LY",
        status="review",
        flags=("blast",),
        group_confidence=0.6,
    )
    results, review = [*answers(), flagged], SampleReview("S-1")
    assert "1 of them flagged as a possible blast" in review_line(results)
    review.correct("b.jpg", "LY", "dr. a")
    corrected = review.reviewed(results)[-1]
    assert corrected.status == "corrected" and corrected.flags == () and corrected.group_confidence is None
    assert "the model answered Lymphocyte; dr. a confirmed it as Lymphocyte" in corrected.message
    assert review_line(review.reviewed(results)) == "1 cell needs a look (status review)."
    assert screen(review.reviewed(results)).counts["lymphocyte"] == 2


def test_reading_the_answers_otherwise_after_sign_off_makes_it_stale():
    review = SampleReview("S-1")
    review.note_reading("0.36 um per pixel (given) and no lab profile", "dr. a")
    review.sign("dr. a")
    review.note_reading("0.36 um per pixel (given) and no lab profile", "dr. a")
    assert review.stale_note() is None
    review.note_reading("0.36 um per pixel (given) and the lab profile scope-2", "dr. b")
    assert "read again with 0.36 um per pixel (given) and the lab profile scope-2" in review.stale_note()
    again = SampleReview.from_json(review.to_json(answers()))
    assert again.read_with == review.read_with and again.stale_note() == review.stale_note()


def test_an_export_of_another_batch_is_refused_with_the_files_that_differ():
    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "MO", "dr. a")
    review.sign("dr. a")
    keys = ["k1", "k2", "k3"]
    exported = review.to_json(results, keys)
    files = [(r.file, key) for r, key in zip(results, keys, strict=True)]
    assert SampleReview.from_json(exported, files).signed_by == "dr. a"
    with pytest.raises(ValueError, match=r"another batch: 1 of its 3 files are not in this one \(c.jpg\)"):
        SampleReview.from_json(exported, [("a.jpg", "k1"), files[1], ("IMG_0001.jpg", "k3")])


def test_an_export_of_other_images_under_the_same_names_is_refused():
    """A camera names every sample's images IMG_0001...: by names alone another sample's corrections
    and sign-off attached to these cells (and two same-named files uploaded in the other order swapped)."""
    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "BLAST", "dr. a")
    exported = review.to_json(results, ["k1", "k2", "k3"])
    with pytest.raises(
        ValueError, match=r"other images under the same names: 2 of its 3 files differ \(a.jpg, c.jpg\)"
    ):
        SampleReview.from_json(exported, [("a.jpg", "k3"), (results[1].file, "k2"), ("c.jpg", "k1")])
    written_before_keys = review.to_json(results)
    assert SampleReview.from_json(written_before_keys, [(r.file, "any") for r in results]).corrections


def test_the_pdf_names_every_correction_the_reading_and_the_cells_that_drove_the_screen():
    from bcds_core.report import sample_report

    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "BLAST", "dr. a")
    review.correct("c.jpg", "ARTEFACT", "dr. a")
    review.sign("dr. a")
    record = review.sign_off_lines() + review.correction_lines(results)
    text = " ".join(
        pdf_text(sample_report(review.reviewed(results), "S-1", {}, record, "no lab profile")).split()
    )
    assert "a.jpg: the model answered Lymphocyte; dr. a moved it to Blast" in text
    assert "c.jpg: the model answered Segmented neutrophil; dr. a moved it to Artefact" in text
    assert "1 cell taken out of the count by the reviewer" in text
    assert "Answers read with no lab profile." in text and "Cells that drove it: 1. a.jpg" in text


def test_the_pdf_names_files_without_the_folders_a_typed_path_holds():
    from bcds_core.report import sample_report

    results = [
        CellResult(file="/data/Smith_J_2024/c1.png", ok=False, status="rejected", message="Not an image.")
    ]
    text = pdf_text(sample_report(results, "S-1", {}))
    assert "c1.png: Not an image." in text and "Smith" not in text
    zipped = [CellResult(file="Smith_John/c1.jpg", ok=True, group="lymphocyte", label="LY", status="ok")]
    review = SampleReview("S-1")
    review.sign("dr. a")
    review.correct("Smith_John/c1.jpg", "BLAST", "dr. a")  # after sign-off: an amendment too
    record = review.sign_off_lines() + review.correction_lines(zipped)
    text = pdf_text(sample_report(review.reviewed(zipped), "S-1", {}, record))
    assert "c1.jpg: the model answered Lymphocyte" in text and "Smith" not in text


def test_a_corrected_cell_read_again_as_rejected_is_not_counted_and_its_correction_kept():
    from dataclasses import replace

    results, review = answers(), SampleReview("S-1")
    review.correct("a.jpg", "BLAST", "dr. a")
    rejected = [replace(results[0], status="rejected", group=None, label=None)] + results[1:]
    assert review.reviewed(rejected)[0].status == "rejected"
    assert differential(review.reviewed(rejected)).white_cells == 2
    assert "not counted while the image is rejected" in review.correction_lines(rejected)[0]
    assert review.reviewed(results)[0].label == "BLAST"  # read again: counted as corrected


def test_a_confirmed_answer_after_sign_off_is_recorded_as_confirmed_not_moved():
    """The review gallery's "Confirm" button records the model's own class for a cell the screen
    counted by its probability; the amendment said "moved to" a class the cell already had."""
    results, review = answers(), SampleReview("S-1")
    review.sign("dr. a")
    review.correct("c.jpg", "SNE", "dr. b", confirmed=True)
    assert [a.what for a in review.amendments] == ["c.jpg confirmed as Segmented neutrophil"]
    assert "confirmed it as" in review.reviewed(results)[2].message
