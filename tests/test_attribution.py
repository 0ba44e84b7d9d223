"""The data credits: one wording for the pages (Markdown) and the PDF (plain text)."""

from bcds_core.attribution import DATA_ATTRIBUTIONS, MODEL_ATTRIBUTION, PBC_ATTRIBUTION, plain


def test_credits_print_as_plain_text_with_their_links():
    text = plain(PBC_ATTRIBUTION)
    assert "*" not in text and "[" not in text
    assert "Data in Brief 30" in text and "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" in text


def test_the_models_credit_names_every_source_they_were_trained_on():
    assert all(name in MODEL_ATTRIBUTION for name in ("Acevedo", "Sidhom", "Zheng"))
    assert any("BCCD" in credit for credit in DATA_ATTRIBUTIONS)
