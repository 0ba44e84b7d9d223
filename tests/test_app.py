"""Page logic through Streamlit's AppTest (no browser)."""

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from bcds_core.paths import REPO_ROOT
from bcds_core.taxonomy import display_name
from bcds_ui.home import SOURCES, source_table

TIMEOUT = 120


def test_home_page_renders_with_attribution_and_every_sources_figures():
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "CC BY 4.0" in text and "not a diagnostic device" in " ".join(w.value for w in at.warning)
    assert "Sidhom" in text and "BCCD" in text
    shown = at.table[0].value
    assert list(shown.index) == [name for name, _ in SOURCES.values()]
    assert any(c.value.startswith("Blasts, 24 DeepAPL patients") for c in at.caption)


def test_the_source_table_says_how_many_ok_answers_were_right_and_none_where_none():
    found = {
        "pbc_test": {"n": 2234, "accuracy_8": 0.9857, "n_ok": 2030, "ok_share": 0.909, "ok_right": 0.99655},
        "bccd_crops": {"n": 207, "accuracy_8": 0.6957, "n_ok": 0, "ok_share": 0.0, "ok_right": None},
        "deepapl_test_patients": {
            "n": 1855,
            "accuracy_8": 0.6765,
            "n_ok": 249,
            "ok_share": 0.134,
            "ok_right": 0.97992,
            "abnormal": {"normal_cells_accuracy_8": 0.8347},
        },
    }
    table = source_table(found).set_index("images")
    assert list(table.index) == ["PBC, test split", "DeepAPL, 12 test patients", "BCCD crops"]
    assert table.loc["PBC, test split", "ok answers right"] == "2,023 of 2,030"
    assert table.loc["BCCD crops", "ok answers right"] == "none answered ok"
    assert table.loc["DeepAPL, 12 test patients", "group right"] == "67.7% (normal cells 83.5%)"


def test_classify_page_answers_a_sample():
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state["classify_sample"] = "LY"
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Fine class" in text
    assert "gradcam" in [box.value for box in at.selectbox]
    assert any("of the heat lies inside the cell mask" in c.value for c in at.caption)


def _elements(at: AppTest, kind: str) -> int:
    """How many elements of a kind ("plotly_chart", "image", "file_uploader") the page drew."""
    return sum(getattr(element, "type", None) == kind for element in at.main)


def test_classify_page_without_input_shows_the_uploader_only():
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert _elements(at, "file_uploader") == 1
    assert _elements(at, "image") == _elements(at, "plotly_chart") == 0


@pytest.mark.parametrize(
    ("page", "title", "charts", "images"),
    [
        ("pages/review_errors.py", "Misclassified cells", 1, 2),  # the confusion matrix; a pair's cells
        ("pages/dataset_overview.py", "Dataset overview", 1, 1),  # class counts; the gallery
        ("pages/colour_signatures.py", "Colour and radial signatures", 1, 1),
    ],
)
def test_other_pages_render_from_the_shipped_reports(page, title, charts, images):
    at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert [t.value for t in at.title] == [title]
    assert _elements(at, "plotly_chart") >= charts and _elements(at, "image") >= images


def test_review_page_filters_to_the_chosen_pair_and_shows_both_classes():
    at = AppTest.from_file(str(REPO_ROOT / "pages/review_errors.py"), default_timeout=TIMEOUT).run()
    pairs = at.selectbox(key="review_pair")
    assert len(pairs.options) >= 2
    pairs.select_index(1).run()
    assert not at.exception
    true, predicted = at.selectbox(key="review_pair").value
    text = " ".join(m.value for m in at.markdown)
    assert f"true **{display_name(true)}**, predicted **{display_name(predicted)}**" in text
    assert f"True class: {display_name(true)}" in text and f"Predicted: {display_name(predicted)}" in text


def test_signature_page_classifies_a_sample_by_its_nearest_signature():
    at = AppTest.from_file(str(REPO_ROOT / "pages/colour_signatures.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("Nearest class signature" in s.value for s in at.success)


def test_lime_runs_on_demand_and_is_kept_for_the_session():
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state["classify_sample"] = "EO"
    at.run()
    method = next(box for box in at.selectbox if box.value == "gradcam")
    method.set_value("lime").run()
    assert any("press the button" in i.value for i in at.info)
    next(b for b in at.button if b.label.startswith("Run LIME")).click().run()
    assert not at.exception
    assert any("LIME scores the superpixels inside the cell mask only" in c.value for c in at.caption)
    at.run()
    assert not any("press the button" in i.value for i in at.info)


def test_a_kept_batch_is_shown_and_a_reclassification_changes_its_differential_at_once():
    """The batch lives in session state (not in the uploader), so a return to the page shows it."""
    from bcds_core.paths import SAMPLES_DIR
    from bcds_ui.batch_input import BATCH_KEY

    names = ["lymphocyte/LY_420634.jpg", "monocyte/MO_387936.jpg"]
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state[BATCH_KEY] = [(n.split("/")[1], (SAMPLES_DIR / n).read_bytes()) for n in names]
    at.run()
    assert not at.exception
    assert any("2 white cells;" in c.value for c in at.caption)
    at.text_input(key="review_reviewer").input("Dr A").run()
    next(box for box in at.selectbox if box.label == "Class of LY_420634.jpg").set_value("UNIDENTIFIED").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("1 white cell;" in c for c in captions)
    assert any(c.startswith("model: Lymphocyte; Dr A,") for c in captions)
    assert at.session_state["sample_reviews"] and not at.error
    assert "`None`" not in [m.value for m in at.markdown]  # no value printed by Streamlit's magic


def test_opening_a_cell_from_the_gallery_reruns_without_recomputing_and_the_keypad_moves_it(monkeypatch):
    from bcds_core.analysis import CellAnalyzer
    from bcds_core.paths import SAMPLES_DIR
    from bcds_ui.batch_input import BATCH_KEY

    names = ["lymphocyte/LY_420634.jpg", "neutrophil/BNE_315095.jpg", "neutrophil/SNE_844272.jpg"]
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state[BATCH_KEY] = [(n.split("/")[1], (SAMPLES_DIR / n).read_bytes()) for n in names]
    at.run()
    assert not any("of the heat lies inside the cell mask" in c.value for c in at.caption)

    def recompute(*args, **kwargs):
        raise AssertionError("the batch was analysed again")

    monkeypatch.setattr(CellAnalyzer, "analyze_bytes", recompute)
    next(b for b in at.button if b.label == "Open LY_420634.jpg").click().run()
    assert not at.exception
    assert any("of the heat lies inside the cell mask" in c.value for c in at.caption)
    at.button(key="review_move_BLAST").click().run()
    assert any(c.value.startswith("model: Lymphocyte;") for c in at.caption)
    assert any(c.value == "Cells that drove it: LY_420634.jpg" for c in at.caption)  # counted as a blast
    # both neutrophils are answered ok, so they share a bin
    next(b for b in at.button if b.label == "Open BNE_315095.jpg").click().run()
    at.button(key="review_step_1").click().run()  # the next cell of the neutrophil bin
    assert at.session_state["review_open"] == "SNE_844272.jpg"
    at.button(key="review_close").click().run()
    assert not any("of the heat lies inside the cell mask" in c.value for c in at.caption)


def test_a_batch_over_the_limit_keeps_the_first_images_and_says_so(monkeypatch):
    from bcds_ui import batch_input

    monkeypatch.setattr(batch_input, "MAX_BATCH_IMAGES", 3)  # the script runs in this process

    def page():
        from dataclasses import dataclass

        import streamlit as st

        from bcds_ui import batch_input

        read = st.session_state.setdefault("read", [])

        @dataclass
        class Upload:
            name: str

            def getvalue(self) -> bytes:
                read.append(self.name)
                return self.name.encode()

        st.session_state[batch_input.UPLOAD_KEY] = [Upload(f"cell{i}.jpg") for i in range(6)]
        batch_input.keep_uploads()

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [name for name, _ in at.session_state[batch_input.BATCH_KEY]] == [
        "cell0.jpg",
        "cell1.jpg",
        "cell2.jpg",
    ]
    assert at.session_state[batch_input.UPLOAD_PROBLEMS_KEY] == [
        "More than 3 images uploaded; the first 3 are analysed. Split a larger sample into batches."
    ]


def test_a_fit_of_other_cells_is_not_shown_as_the_current_ones():
    """A profile fitted on one set of cells must not sit under another set (or its error) to be used."""
    at = AppTest.from_file(str(REPO_ROOT / "pages/calibrate.py"), default_timeout=TIMEOUT)
    at.session_state["calibrate_fitted"] = ("cells of another fit", None, [])
    at.run()
    assert not at.exception
    assert any("changed since the last fit" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "calibrate_use"]


def test_calibration_cells_outlive_a_visit_to_another_page_and_a_zip_taken_away():
    """An uploader's files are dropped when its page is left: the lab came back to empty uploaders and
    a fit it could no longer use; removing a zip lost the cells given group by group."""
    from bcds_ui.calibrate_input import KEPT_KEY

    def page():
        import io
        import zipfile
        from dataclasses import dataclass

        import streamlit as st

        from bcds_core.paths import SAMPLES_DIR
        from bcds_ui.calibrate_input import ZIP_KEY, keep_cells

        @dataclass
        class Upload:
            name: str
            data: bytes

            def getvalue(self) -> bytes:
                return self.data

        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as written:
            for path in sorted(SAMPLES_DIR.glob("monocyte/*.jpg"))[:3]:
                written.write(path, f"monocyte/{path.name}")
        lymphocytes = sorted(SAMPLES_DIR.glob("lymphocyte/*.jpg"))[:2]
        st.session_state["calibrate_lymphocyte"] = [Upload(p.name, p.read_bytes()) for p in lymphocytes]
        keep_cells("calibrate_lymphocyte", "lymphocyte")
        st.session_state[ZIP_KEY] = Upload("lab.zip", archive.getvalue())
        keep_cells(ZIP_KEY, None)
        st.session_state["zip_cells"] = len(st.session_state["calibrate_kept_cells"][ZIP_KEY])
        st.session_state[ZIP_KEY] = None  # the zip removed
        keep_cells(ZIP_KEY, None)

    done = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert not done.exception and done.session_state["zip_cells"] == 3
    kept = done.session_state[KEPT_KEY]
    assert list(kept) == ["calibrate_lymphocyte"] and [c[2] for c in kept["calibrate_lymphocyte"]] == [
        "lymphocyte",
        "lymphocyte",
    ]

    at = AppTest.from_file(str(REPO_ROOT / "pages/calibrate.py"), default_timeout=TIMEOUT)
    at.session_state[KEPT_KEY] = kept  # back from another page: the uploaders are empty
    at.run()
    assert not at.exception
    assert any(b.label == "Fit a profile on 2 cells" for b in at.button)
    assert any(c.value.startswith("2 cells kept from your last upload") for c in at.caption)
    many = [(f"c{i}.jpg", b"x", "lymphocyte") for i in range(250)]
    at.session_state[KEPT_KEY] = {"calibrate_lymphocyte": many}
    at.run()
    assert any(b.label == "Fit a profile on 200 cells" for b in at.button)
    assert any("250 cells given; the first 200 are used" in w.value for w in at.warning)


def test_the_cells_still_wrong_after_a_fit_are_shown_as_pictures():
    """A table of file names alone left the lab to find each cell it should look at again."""
    from bcds_core.lab_profile import LabProfile
    from bcds_core.paths import WEIGHTS_DIR
    from bcds_core.weights_io import read_config

    at = AppTest.from_file(str(REPO_ROOT / "pages/calibrate.py"), default_timeout=TIMEOUT)
    no_cells = hashlib.sha256(repr(None).encode()).hexdigest()  # fit_key of no cells at an estimated size
    summary = {"n": 2, "accuracy_before": 0.5, "accuracy_after_cv": 0.5, "groups": {}}
    profile = LabProfile(read_config(WEIGHTS_DIR / "classifier")["weights_sha256"], None, None, None, summary)
    picture = "data:image/jpeg;base64,AAAA"
    at.session_state["calibrate_fitted"] = (
        no_cells,
        profile,
        [("a.jpg", "lymphocyte", "lymphocyte", None), ("b.jpg", "monocyte", "lymphocyte", picture)],
    )
    at.run()
    assert not at.exception
    (table,) = at.dataframe
    assert table.value.to_dict("records") == [
        {"cell": picture, "file": "b.jpg", "your label": "Monocyte", "answer": "Lymphocyte"}
    ]
    assert [m.label for m in at.metric] == ["Accuracy before", "After (cross-validated)"]
    # a pixel size searched among candidates is chosen on the same cells: the figure must say so
    profile.summary["accuracy_after_cv_by_pixel_size"] = {"assumed": 0.5, "0.0734": 0.5}
    at.run()
    assert at.metric[1].label == "After (cross-validated; pixel size chosen on these cells)"


def test_a_batch_grown_or_reordered_keeps_its_review_and_a_signed_one_asks_to_sign_again():
    """Adding an image to a reviewed batch started its review anew: corrections and sign-off gone."""
    from bcds_core.paths import SAMPLES_DIR
    from bcds_ui.batch_input import BATCH_KEY

    names = ["lymphocyte/LY_420634.jpg", "monocyte/MO_387936.jpg", "eosinophil/EO_113017.jpg"]
    cells = [(n.split("/")[1], (SAMPLES_DIR / n).read_bytes()) for n in names]
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state[BATCH_KEY] = cells[:2]
    at.run()
    at.text_input(key="review_reviewer").input("Dr A").run()
    next(box for box in at.selectbox if box.label == "Class of LY_420634.jpg").set_value("BLAST").run()
    at.button(key="review_sign").click().run()
    at.session_state[BATCH_KEY] = cells[1::-1]  # the same two, in the other order
    at.run()
    assert any(s.value.startswith("Signed off by Dr A") for s in at.success)
    at.session_state[BATCH_KEY] = cells
    at.run()
    assert not at.exception
    assert any("1 image added (EO_113017.jpg)" in w.value for w in at.warning)  # sign again
    assert any(c.startswith("model: Lymphocyte; Dr A,") for c in (c.value for c in at.caption))


def test_a_batch_with_a_file_taken_out_keeps_its_review_and_going_back_keeps_the_latest():
    """Removing a damaged image from a reviewed batch lost every correction and the sign-off; going
    back to the first files then brought back an older copy of the review, without the later work."""
    from bcds_core.paths import SAMPLES_DIR
    from bcds_ui.batch_input import BATCH_KEY

    names = ["lymphocyte/LY_420634.jpg", "monocyte/MO_387936.jpg", "eosinophil/EO_113017.jpg"]
    cells = [(n.split("/")[1], (SAMPLES_DIR / n).read_bytes()) for n in names]
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state[BATCH_KEY] = cells
    at.run()
    at.text_input(key="review_reviewer").input("Dr A").run()
    next(box for box in at.selectbox if box.label == "Class of LY_420634.jpg").set_value("BLAST").run()
    at.button(key="review_sign").click().run()
    at.session_state[BATCH_KEY] = cells[:2]
    at.run()
    assert not at.exception
    assert any("1 image removed (EO_113017.jpg)" in w.value for w in at.warning)  # sign again
    assert any(c.startswith("model: Lymphocyte; Dr A,") for c in (c.value for c in at.caption))
    at.session_state[BATCH_KEY] = cells
    at.run()
    assert any("removed (EO_113017.jpg); 1 image added (EO_113017.jpg)" in w.value for w in at.warning)


def test_a_profile_fitted_again_under_the_same_name_reads_as_another_reading():
    """Calibrate names every profile "my microscope" by default: by name alone, a signed sample read
    again through a refitted profile (all its cells now rejected) kept its sign-off as current."""
    from bcds_ui.pixel_size_setting import reading_settings

    first, refitted = (reading_settings(None, "my microscope", key) for key in ("a1b2c3d4e5", "f6a7b8c9d0"))
    assert first != refitted and "my microscope (a1b2c3d4)" in first
    assert reading_settings(0.1, None) == "0.1 um per pixel (given) and no lab profile"


def test_a_field_cell_can_be_opened_with_its_mask_and_heat_map():
    """Field cells had an answer and a thumbnail, but none of the explanations an uploaded cell has."""
    from bcds_core.benchmark import field_of
    from bcds_core.image_io import decode_image
    from bcds_core.paths import SAMPLES_DIR
    from bcds_ui.batch_input import BATCH_KEY

    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state["classify_fields"] = True
    at.session_state[BATCH_KEY] = [("field.jpg", field_of(decode_image(sample.read_bytes()).rgb))]
    at.run()
    (chooser,) = [box for box in at.selectbox if box.label.startswith("Look at one cell of the field")]
    chooser.set_value(1).run()
    assert not at.exception
    assert any("of the heat lies inside the cell mask" in c.value for c in at.caption)
    assert any(m.value.startswith("**field.jpg#1**") for m in at.markdown)


def test_weights_restored_after_a_missing_weights_page_are_found_without_a_restart(monkeypatch):
    """The page tells the user to restore the weights: a cached "missing" would outlive that."""
    from bcds_core.weights_io import WeightsError
    from bcds_ui import models

    attempts = iter([WeightsError("weights/classifier/model.safetensors is missing"), "the analyzer"])

    def load():
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(models, "CellAnalyzer", load)
    models.get_analyzer.clear()
    try:
        with pytest.raises(WeightsError):
            models.get_analyzer()
        assert models.get_analyzer() == "the analyzer"
    finally:
        models.get_analyzer.clear()
