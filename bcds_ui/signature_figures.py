"""Plotly figures of the colour and radial signatures page, from the rows of ``explore.tables``.

No Streamlit here, so the figures can be built and checked in tests. Every
line chart is fitted to a column (``for_a_column``): the page shows them in
tabs and half-width columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from bcds_ui.figures import for_a_column

#: Radii (pixels at the statistics' scale) of the rings drawn around a cell's centre.
RING_RADII = range(20, 160, 20)


def histogram_figure(rows: list[dict]) -> go.Figure:
    """Colour histograms (``histogram_rows``): a line per class and region, a panel per channel."""
    figure = px.line(
        pd.DataFrame(rows), x="level", y="fraction", color="class", line_dash="region", facet_col="channel"
    )
    return for_a_column(figure)


def signature_figure(rows: list[dict]) -> go.Figure:
    """Radial signatures (``signature_rows``, ``image_signature_rows``): mean colour by ring."""
    figure = px.line(
        pd.DataFrame(rows), x="radius", y="mean", color="class", labels={"radius": "distance to centre (px)"}
    )
    return for_a_column(figure)


def rings_figure(rgb: np.ndarray, centre: tuple[float, float]) -> go.Figure:
    """The image (HxWx3 uint8) with the rings the signature averages and its centre (x, y) marked."""
    x, y = centre
    figure = px.imshow(rgb)
    for radius in RING_RADII:
        figure.add_shape(
            type="circle",
            x0=x - radius,
            x1=x + radius,
            y0=y - radius,
            y1=y + radius,
            line={"color": "white", "width": 1},
        )
    figure.add_scatter(x=[x], y=[y], mode="markers", marker={"color": "yellow", "size": 9}, name="centre")
    return figure


def distance_figure(rows: list[dict]) -> go.Figure:
    """Bars of an image's distance to each class signature (``distance_rows``, nearest first)."""
    return px.bar(pd.DataFrame(rows), x="class", y="distance")
