"""Real-browser tests: Playwright drives Debian's Chromium against a local Streamlit server.

Screenshots land in ``test-artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from bcds_core.app_start import running_app
from bcds_core.bad_inputs import bad_corpus
from bcds_core.paths import REPO_ROOT, SAMPLES_DIR

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
    assert page.locator("[data-testid='stDataFrame']").count() >= 1
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
