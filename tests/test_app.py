"""Page logic through Streamlit's AppTest (no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from bcds_core.paths import REPO_ROOT

TIMEOUT = 120


def test_home_page_renders_with_attribution():
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "CC BY 4.0" in text and "not a diagnostic device" in " ".join(w.value for w in at.warning)


def test_classify_page_answers_a_sample():
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT)
    at.session_state["classify_sample"] = "LY"
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Fine class" in text
    assert "gradcam" in [box.value for box in at.selectbox]
    assert any("of the heat lies inside the cell mask" in c.value for c in at.caption)


def test_classify_page_without_input_shows_the_uploader_only():
    at = AppTest.from_file(str(REPO_ROOT / "pages/classify.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert not at.error


@pytest.mark.parametrize("page", ["pages/review_errors.py"])
def test_other_pages_render(page):
    at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=TIMEOUT).run()
    assert not at.exception
