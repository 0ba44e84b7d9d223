"""The app's plotly figures, checked without a browser."""

from __future__ import annotations

import numpy as np
import pytest

from bcds_ui.figures import HEAT_OPACITY, heatmap_figure


def _opacities(figure) -> dict[float, float]:
    """Stop -> opacity of the heat trace's colour scale (rgba strings)."""
    heat_trace = figure.data[1]
    assert heat_trace.opacity in (None, 1)
    return {stop: float(colour.rsplit(",", 1)[1].rstrip(")")) for stop, colour in heat_trace.colorscale}


@pytest.fixture
def cell():
    rgb = np.full((64, 64, 3), 200, np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[20:44, 20:44] = True
    return rgb, mask


def test_faint_relevance_leaves_the_image_clear(cell):
    """Grad-CAM spreads faint relevance over its whole input crop: at one opacity for every value
    that faint relevance darkened a square around the cell."""
    rgb, mask = cell
    figure = heatmap_figure(rgb, np.full((64, 64), 0.1), mask)
    assert (figure.data[1].zmin, figure.data[1].zmax) == (0, 1)  # relevance 0.1 sits at stop 0.1
    opacities = _opacities(figure)
    assert opacities[0.1] <= 0.1 * HEAT_OPACITY and opacities[0.0] == 0.0
    assert opacities[1.0] == pytest.approx(HEAT_OPACITY)
    assert list(opacities.values()) == sorted(opacities.values())


def test_signed_maps_fade_where_a_region_neither_helps_nor_hurts(cell):
    rgb, mask = cell
    figure = heatmap_figure(rgb, np.zeros((64, 64)), mask, signed=True)
    assert (figure.data[1].zmin, figure.data[1].zmax) == (-1, 1)  # no relevance sits at stop 0.5
    opacities = _opacities(figure)
    assert opacities[0.5] == 0.0
    assert opacities[0.0] == opacities[1.0] == pytest.approx(HEAT_OPACITY)
