"""Real-browser tests: Playwright drives Debian's Chromium against a local Streamlit server.

Screenshots land in ``test-artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from bcds_core.app_start import running_app
from bcds_core.paths import REPO_ROOT, SAMPLES_DIR
from tests.bad_inputs import bad_corpus

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def app_url():
    started = time.perf_counter()
    with running_app() as url:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "server_start.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def _upload(page, files: list[tuple[str, bytes, str]]) -> None:
    page.locator("input[type=file]").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data} for name, data, mime in files]
    )


def test_home_page_shows_purpose_and_attribution(page, app_url):
    page.goto(app_url)
    page.get_by_text("not a diagnostic device").first.wait_for()
    page.get_by_text("CC BY 4.0").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_a_deep_link_to_a_fresh_server_gets_the_app_menu(browser):
    """The first request a new server sees is a deep link: it still gets the app's menu and titles."""
    with running_app() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/classify")
        page.get_by_text("Cell images (JPEG, PNG, BMP, TIFF)").first.wait_for()
        navigation = page.get_by_test_id("stSidebarNav")
        navigation.get_by_text("Explore the data").wait_for()
        navigation.get_by_text("Misclassified cells").wait_for()
        assert navigation.get_by_text("review errors").count() == 0
        page.screenshot(path=str(ARTIFACTS / "deep_link_cold_start.png"), full_page=True)
        context.close()


def test_uploading_a_sample_shows_class_mask_and_heat_map(page, app_url):
    page.goto(f"{app_url}/classify")
    sample = sorted(SAMPLES_DIR.glob("lymphocyte/*.jpg"))[0]
    _upload(page, [(sample.name, sample.read_bytes(), "image/jpeg")])
    page.get_by_text("Fine class").first.wait_for()
    page.get_by_text("U-Net mask").first.wait_for()
    page.get_by_text("of the heat lies inside the cell mask").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "classify_one.png"), full_page=True)
    assert page.get_by_text("Lymphocyte").count() >= 1


def test_a_crop_of_unknown_pixel_size_is_left_for_review_with_where_to_set_it(page, app_url):
    import io

    from PIL import Image

    page.goto(f"{app_url}/classify")
    sample = Image.open(sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]).convert("RGB")
    left, top = (sample.width - 300) // 2, (sample.height - 300) // 2
    buffer = io.BytesIO()
    sample.crop((left, top, left + 300, top + 300)).save(buffer, "PNG")
    _upload(page, [("crop300.png", buffer.getvalue(), "image/png")])
    page.get_by_text("Fine class").first.wait_for()
    page.get_by_text("set the pixel size in the sidebar").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "classify_unknown_pixel_size.png"), full_page=True)


def test_a_smear_field_shows_numbered_white_cells_and_their_count(page, app_url):
    from bcds_core.benchmark import field_of
    from bcds_core.image_io import decode_image

    page.goto(f"{app_url}/classify")
    page.get_by_text("Smear fields").first.click()
    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    _upload(page, [("field.jpg", field_of(decode_image(sample.read_bytes()).rgb), "image/jpeg")])
    page.get_by_text("white cells found").first.wait_for()
    page.get_by_text("Differential count").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "classify_field.png"), full_page=True)
    assert page.get_by_text("Traceback").count() == 0


def test_uploading_a_non_image_shows_a_message_not_a_traceback(page, app_url):
    page.goto(f"{app_url}/classify")
    _upload(page, [("report.pdf", bad_corpus()["non_image.jpg"][0], "application/pdf")])
    page.get_by_text("not an image that bcds can read").first.wait_for()
    assert page.get_by_text("Traceback").count() == 0
    page.screenshot(path=str(ARTIFACTS / "classify_non_image.png"), full_page=True)


def test_a_batch_of_ten_gives_a_table_and_a_chart(page, app_url):
    page.goto(f"{app_url}/classify")
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))[::3][:9]
    files = [(p.name, p.read_bytes(), "image/jpeg") for p in samples]
    files.append(("broken.png", bad_corpus()["truncated.png"][0], "image/png"))
    _upload(page, files)
    page.get_by_text("Differential count").first.wait_for()
    page.get_by_text("Download results (CSV)").first.wait_for()
    # waited for, not counted at once: a rerun may redraw the table just after the button appears
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "classify_batch.png"), full_page=True)


def test_exploration_and_review_pages_work_from_the_shipped_reports(page, app_url):
    page.goto(f"{app_url}/dataset_overview")
    page.get_by_text("Images per split").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dataset_overview.png"), full_page=True)
    page.goto(f"{app_url}/colour_signatures")
    page.get_by_role("tab", name="One image").click()
    page.get_by_text("Nearest class signature").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "colour_signatures.png"), full_page=True)
    page.goto(f"{app_url}/review_errors")
    page.get_by_text("True class:").first.wait_for()
    page.get_by_text("Download all errors (CSV)").first.wait_for()
    assert page.get_by_text("Traceback").count() == 0
    page.screenshot(path=str(ARTIFACTS / "review_errors.png"), full_page=True)


REVIEW_BATCH = ("lymphocyte/LY_420634.jpg", "monocyte/MO_387936.jpg", "eosinophil/EO_36361.jpg")


def _review_a_batch(page, app_url) -> None:
    """Open the classify page and upload three shipped samples: the batch gets its review panel."""
    page.goto(f"{app_url}/classify")
    files = [(name.split("/")[1], (SAMPLES_DIR / name).read_bytes(), "image/jpeg") for name in REVIEW_BATCH]
    _upload(page, files)
    page.get_by_text("Your name (kept with each change)").wait_for()


def _reclassify(page, file: str, to: str) -> None:
    """Choose ``to`` in the gallery's select box of ``file`` (its bin opened first)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_label(f"Class of {file}"))
    if not box.is_visible():
        bin_title = page.get_by_test_id("stExpander").filter(has=box).locator("summary")
        bin_title.click()
    option = page.locator("[role=option]").filter(has_text=to).first
    for _ in range(3):  # a rerun that is still drawing the page can swallow the typing: try again
        _wait_until_idle(page)
        page.get_by_label(f"Class of {file}").fill(to)  # the list opens filtered to the typed name
        try:
            option.click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    option.click()


def _open_cell(page, file: str, by_thumbnail: bool = False) -> None:
    """Click ``file``'s thumbnail or the button under it (its bin opened first) and wait for the cell's view."""
    button = page.locator("button").filter(has_text=f"Open {file}")  # a role query skips closed bins
    if by_thumbnail:
        button = page.locator("button.bcds-thumbnail").filter(has=page.get_by_alt_text(f"Cell {file}"))
    if not button.is_visible():
        page.get_by_test_id("stExpander").filter(has=button).locator("summary").click()
    _wait_until_idle(page)
    button.click()
    page.get_by_text("of the heat lies inside the cell mask").first.wait_for()
    _wait_until_idle(page)


def _wait_until_idle(page) -> None:
    """Wait until the script run has finished (Streamlit shows a running icon meanwhile)."""
    page.get_by_test_id("stStatusWidgetRunningIcon").wait_for(state="detached")


def _expect_differential_row(page, name: str, count: int, percent: str) -> None:
    """Wait until the differential table's row ``name`` reads ``count`` cells, ``percent`` %."""
    from playwright.sync_api import expect

    row = page.get_by_test_id("stTable").first.locator("tbody tr").filter(has_text=name).first
    expect(row.locator("td, th")).to_have_text([name, str(count), percent])


def _leave_and_come_back(page) -> None:
    """Visit the dataset overview and return to Classify by the menu: Streamlit drops the values of
    widgets the other page does not draw, unless the app keeps them."""
    navigation = page.get_by_test_id("stSidebarNav")
    navigation.get_by_text("Dataset overview").click()
    page.get_by_text("Images per split").first.wait_for()
    navigation.get_by_text("Classify cells").click()


def _sign_as(page, name: str) -> None:
    page.get_by_label("Your name (kept with each change)").fill(name)
    page.get_by_label("Your name (kept with each change)").press("Enter")
    page.get_by_role("button", name="Sign off").click()
    page.get_by_text(f"Signed off by {name}").wait_for()


def _download(page, label: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    return download.value.path().read_bytes()


def test_reclassifying_a_cell_changes_the_differential_and_the_sample_is_signed_off(page, app_url):
    _review_a_batch(page, app_url)
    page.get_by_text("3 white cells;").first.wait_for()
    _expect_differential_row(page, "Lymphocyte", 1, "33.3")
    _reclassify(page, "LY_420634.jpg", "Artefact")
    page.get_by_text("2 white cells;").first.wait_for()
    page.get_by_text("model: Lymphocyte").first.wait_for()
    _expect_differential_row(page, "Lymphocyte", 0, "0.0")
    _reclassify(page, "MO_387936.jpg", "Blast")
    page.get_by_text("Cells that drove it").first.wait_for()
    _expect_differential_row(page, "Blast", 1, "50.0")
    _sign_as(page, "Dr Test")
    page.screenshot(path=str(ARTIFACTS / "review_signed.png"), full_page=True)
    assert page.get_by_text("Traceback").count() == 0


def test_a_reviewed_sample_exports_as_json_and_continues_from_it(page, app_url):
    _review_a_batch(page, app_url)
    page.get_by_label("Sample ID (not a patient's name)").fill("S-42")
    page.get_by_label("Sample ID (not a patient's name)").press("Enter")
    _reclassify(page, "EO_36361.jpg", "Basophil")
    page.get_by_text("model: Eosinophil").first.wait_for()
    exported = json.loads(_download(page, "Export (JSON)"))
    assert exported["sample_id"] == "S-42"
    assert {c["file"]: c["correction"]["label"] for c in exported["cells"] if c["correction"]} == {
        "EO_36361.jpg": "BA"
    }
    page.goto(app_url)  # a new session: nothing of the review is left
    _review_a_batch(page, app_url)
    assert page.get_by_text("model: Eosinophil").count() == 0
    saved = page.get_by_test_id("stFileUploader").filter(has_text="Continue a saved review")
    saved.locator("input[type=file]").set_input_files(
        {"name": "S-42.json", "mimeType": "application/json", "buffer": json.dumps(exported).encode()}
    )
    page.get_by_text("Continued the review of sample S-42").wait_for()
    page.get_by_text("model: Eosinophil").first.wait_for(state="attached")  # in a closed bin
    assert page.get_by_label("Sample ID (not a patient's name)").input_value() == "S-42"


def test_the_report_downloads_as_a_pdf(page, app_url):
    _review_a_batch(page, app_url)
    assert _download(page, "Download the report (PDF)").startswith(b"%PDF")


def test_the_batch_and_its_review_survive_a_visit_to_another_page(page, app_url):
    _review_a_batch(page, app_url)
    page.get_by_label("Sample ID (not a patient's name)").fill("S-7")
    page.get_by_label("Sample ID (not a patient's name)").press("Enter")
    page.get_by_label("Comments").fill("left shift?")
    _reclassify(page, "LY_420634.jpg", "Unidentified")
    page.get_by_text("2 white cells;").first.wait_for()
    _sign_as(page, "Dr Test")
    _leave_and_come_back(page)
    page.get_by_text("Showing the 3 images you uploaded before").wait_for()
    page.get_by_text("Signed off by Dr Test").wait_for()
    page.get_by_text("2 white cells;").first.wait_for()
    page.get_by_text("model: Lymphocyte").first.wait_for(state="attached")  # in a closed bin
    assert page.get_by_label("Sample ID (not a patient's name)").input_value() == "S-7"
    assert page.get_by_label("Comments").input_value() == "left shift?"
    assert page.get_by_label("Your name (kept with each change)").input_value() == "Dr Test"
    page.screenshot(path=str(ARTIFACTS / "review_after_visit.png"), full_page=True)


def test_a_zip_is_one_batch_and_names_met_twice_are_told_apart(page, app_url):
    import io
    import zipfile

    ly, mo, eo = ((SAMPLES_DIR / name).read_bytes() for name in REVIEW_BATCH)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in {
            "day1/cell.jpg": ly,
            "day2/cell.jpg": mo,
            "__MACOSX/day1/._cell.jpg": b"x",
        }.items():
            archive.writestr(name, data)
    page.goto(f"{app_url}/classify")
    _upload(page, [("sample.zip", buffer.getvalue(), "application/zip"), ("day1/cell.jpg", eo, "image/jpeg")])
    page.get_by_text("3 white cells;").first.wait_for()
    table = page.get_by_test_id("stDataFrame").first
    for name in ("day1/cell.jpg", "day2/cell.jpg", "day1/cell (2).jpg"):
        table.get_by_text(name, exact=True).wait_for(state="attached")
    assert page.get_by_text("Traceback").count() == 0


def test_another_sample_with_the_same_file_names_starts_its_own_review(page, app_url):
    _review_a_batch(page, app_url)
    _reclassify(page, "LY_420634.jpg", "Artefact")
    page.get_by_text("model: Lymphocyte").first.wait_for()
    _sign_as(page, "Dr Test")
    _leave_and_come_back(page)
    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Your name (kept with each change)").wait_for(state="detached")
    others = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[:3]
    same_names = [name.split("/")[1] for name in REVIEW_BATCH]
    _upload(page, [(n, p.read_bytes(), "image/jpeg") for n, p in zip(same_names, others, strict=True)])
    page.get_by_text("3 white cells;").first.wait_for()
    _wait_until_idle(page)
    assert page.get_by_text("model: Lymphocyte").count() == 0
    assert page.get_by_text("Signed off by Dr Test").count() == 0


def test_the_pixel_size_setting_survives_a_visit_to_another_page(page, app_url):
    import re

    from playwright.sync_api import expect

    page.goto(f"{app_url}/classify")
    setting = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    setting.click()
    page.locator("[role=option]").filter(has_text="CellaVision DM96").click()
    chosen = re.compile("^CellaVision DM96")
    expect(setting.get_by_role("combobox")).to_have_value(chosen)
    _leave_and_come_back(page)
    page.get_by_text("Smear fields").first.wait_for()
    expect(setting.get_by_role("combobox")).to_have_value(chosen)


def test_a_lab_fits_a_profile_from_a_zip_and_classifies_with_it(page, app_url):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(SAMPLES_DIR.glob("*/*.jpg")):
            archive.writestr(f"lab/{path.parent.name}/{path.name}", path.read_bytes())
    page.goto(f"{app_url}/calibrate")
    uploader = page.get_by_test_id("stFileUploader").filter(
        has_text="A zip of folders named after the groups"
    )
    uploader.locator("input[type=file]").set_input_files(
        {"name": "lab.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}
    )
    page.get_by_role("button", name="Fit a profile on 33 cells").click()
    page.get_by_text("After (cross-validated").wait_for()
    assert (
        page.get_by_test_id("stMetricDelta").inner_text().endswith("points")
    )  # not "+29%", read as relative
    page.get_by_role("button", name="Download the profile").wait_for()
    page.get_by_role("button", name="Use this profile on the Classify page").click()
    page.get_by_text("Answers now use the profile 'my microscope'").wait_for()
    page.screenshot(path=str(ARTIFACTS / "calibrate_fitted.png"), full_page=True)
    page.get_by_test_id("stSidebarNav").get_by_text("Classify cells").click()
    page.get_by_text("Lab profile: my microscope").wait_for()
    assert page.get_by_text("Traceback").count() == 0


def test_a_loaded_profile_stops_when_asked(page, app_url):
    from bcds_core.lab_archive import profile_archive
    from bcds_core.lab_profile import LabProfile
    from bcds_core.paths import WEIGHTS_DIR

    sha = json.loads((WEIGHTS_DIR / "classifier" / "config.json").read_text())["weights_sha256"]
    archive = profile_archive(LabProfile(sha, 0.09, None, None, {"n": 7}))
    page.goto(f"{app_url}/calibrate")
    saved = page.get_by_test_id("stFileUploader").filter(has_text="Or load a saved profile")
    saved.locator("input[type=file]").set_input_files(
        {"name": "scope.zip", "mimeType": "application/zip", "buffer": archive}
    )
    page.get_by_text("Active profile: scope (7 cells).").wait_for()
    page.get_by_role("button", name="Stop using it").click()
    page.get_by_text("Active profile: scope").wait_for(state="detached")
    _wait_until_idle(page)
    assert page.get_by_text("Active profile").count() == 0


def test_clicking_a_thumbnail_opens_its_cell_under_its_row(page, app_url):
    _review_a_batch(page, app_url)
    assert page.get_by_text("U-Net mask").count() == 0  # no cell is open before a click
    _open_cell(page, "MO_387936.jpg", by_thumbnail=True)
    monocytes = page.get_by_test_id("stExpander").filter(has_text="Monocyte (1)")
    monocytes.get_by_text("U-Net mask").first.wait_for()  # the view opens inside the clicked bin
    assert monocytes.get_by_text("MO_387936.jpg").count() >= 2  # the button and the view's title
    page.screenshot(path=str(ARTIFACTS / "review_open_cell.png"), full_page=True)
    page.get_by_role("button", name="Close").click()
    page.get_by_text("U-Net mask").wait_for(state="detached")


def test_a_key_moves_the_open_cell_to_its_class_but_not_while_typing(page, app_url):
    from playwright.sync_api import expect

    _review_a_batch(page, app_url)
    _expect_differential_row(page, "Lymphocyte", 1, "33.3")
    _open_cell(page, "LY_420634.jpg")
    page.get_by_label("Comments").press_sequentially("b")  # Basophil's key, typed into a text box
    page.get_by_text("Move this cell to another class").click()  # out of the box: the comment is saved
    _wait_until_idle(page)
    assert page.get_by_text("model: Lymphocyte").count() == 0
    page.keyboard.press("x")  # Blast
    page.get_by_text("model: Lymphocyte").first.wait_for()
    _expect_differential_row(page, "Blast", 1, "33.3")
    _expect_differential_row(page, "Lymphocyte", 0, "0.0")
    _wait_until_idle(page)
    page.keyboard.press("u")  # Unidentified: out of the count
    page.get_by_text("2 white cells;").first.wait_for()
    # the gallery's select box follows the keypad
    expect(page.get_by_label("Class of LY_420634.jpg")).to_have_value("Unidentified")
    assert page.get_by_label("Comments").input_value() == "b"
    page.screenshot(path=str(ARTIFACTS / "review_keyboard.png"), full_page=True)


def test_a_change_after_sign_off_shows_a_note_and_the_exports_carry_it(page, app_url):
    _review_a_batch(page, app_url)
    _sign_as(page, "Dr Test")
    _reclassify(page, "EO_36361.jpg", "Basophil")
    page.get_by_text("Changed after sign-off by Dr Test").first.wait_for()
    page.get_by_text("EO_36361.jpg moved to Basophil. Sign again").first.wait_for()
    page.get_by_role("button", name="Sign again").wait_for()
    exported = json.loads(_download(page, "Export (JSON)"))
    assert exported["signed_by"] == "Dr Test" and exported["sign_off_note"].startswith(
        "Changed after sign-off"
    )
    assert "Changed after sign-off by Dr Test" in _download(page, "Export (CSV)").decode()
    page.screenshot(path=str(ARTIFACTS / "review_changed_after_sign_off.png"), full_page=True)
    page.get_by_role("button", name="Sign again").click()
    page.get_by_text("Signed off by Dr Test").wait_for()
    assert page.get_by_text("Changed after sign-off").count() == 0


PAGE_TITLES = {
    "": "Home",
    "classify": "Classify cells",
    "calibrate": "Calibrate to my microscope",
    "dataset_overview": "Dataset overview",
    "colour_signatures": "Colour and radial signatures",
    "review_errors": "Misclassified cells",
}


def test_every_page_has_its_own_tab_title_and_home_leads_to_classify(page, app_url):
    from playwright.sync_api import expect

    for path, title in PAGE_TITLES.items():
        page.goto(f"{app_url}/{path}")
        expect(page).to_have_title(f"{title} · bcds", timeout=TIMEOUT_MS)
    page.goto(app_url)
    page.get_by_role("button", name="Classify cells").click()
    page.get_by_text("Cell images (JPEG, PNG, BMP, TIFF)").first.wait_for()
    expect(page).to_have_title("Classify cells · bcds")


def test_at_800_pixels_wide_no_chart_is_clipped(browser, app_url):
    context = browser.new_context(viewport={"width": 800, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    _review_a_batch(page, app_url)
    _open_cell(page, "MO_387936.jpg")
    page.screenshot(path=str(ARTIFACTS / "classify_batch_800px.png"), full_page=True)
    # A plotly chart keeps a least width of its own: in a narrower column its drawing spills and is cut.
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stPlotlyChart], [data-testid=stTable]')]
            .filter(e => {
                const box = e.getBoundingClientRect(), svg = e.querySelector('svg.main-svg');
                return e.scrollWidth > e.clientWidth + 1 || box.right > document.documentElement.clientWidth + 1
                    || (svg && svg.getBoundingClientRect().right > box.right + 1);
            })
            .map(e => e.getAttribute('data-testid'))"""
    )
    # A button label too long for its column wraps instead of ending in an ellipsis ("Op...").
    cut_labels = page.evaluate(
        """() => [...document.querySelectorAll('button')]
            .filter(b => b.innerText.startsWith('Open ')
                && [b, ...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
            .map(b => b.innerText)"""
    )
    context.close()
    assert overflowing == []
    assert cut_labels == []
