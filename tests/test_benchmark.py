"""The bench's review timings on the classify page: every figure is there on a tiny batch (values unchecked)."""

import pytest

from bcds_core.paths import WEIGHTS_DIR


@pytest.mark.slow
@pytest.mark.skipif(
    not (WEIGHTS_DIR / "classifier" / "config.json").exists(), reason="no released classifier"
)
def test_app_review_figures_time_a_batch_to_its_gallery_opening_a_cell_and_moving_it():
    from bcds_core.benchmark import app_review_figures

    figures = app_review_figures(cells=3)
    assert figures["app_review_cells"] == 3
    for name in ("app_models_load_s", "app_batch_to_gallery_s", "app_open_cell_s", "app_reclassify_s"):
        assert figures[name] > 0 and figures[name[:-2] + "_cpu_s"] >= 0, name
