"""Plotly figures for the pages: images with masks and heat maps, probability bars, confusion matrices.

No Streamlit here, so the figures can be built and checked in tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from bcds_core.overlays import outline
from bcds_core.taxonomy import display_name


def _frame(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(margin=dict(l=0, r=0, t=30, b=0), height=height)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    return figure


def image_figure(rgb: np.ndarray, title: str = "", height: int = 320) -> go.Figure:
    """An RGB image as a plotly figure (zoom and pan for free)."""
    return _frame(go.Figure(go.Image(z=rgb), layout_title_text=title), height)


def heatmap_figure(
    rgb: np.ndarray, heat: np.ndarray, mask: np.ndarray, signed: bool = False, height: int = 340
) -> go.Figure:
    """The image with the mask outline and a semi-transparent heat map with its colour scale below it.

    No title, and the colour bar lies under the image: in a third of a narrow page a
    title would be clipped and a colour bar beside the image would take half its width.

    Args:
        rgb: HxWx3 uint8 image.
        heat: HxW float, [0, 1] (or [-1, 1] when ``signed``: for and against the class).
        mask: HxW bool cell mask, drawn as an outline.
    """
    figure = go.Figure(go.Image(z=outline(rgb, mask)))
    shown = np.where(np.abs(heat) > 0.02, heat, np.nan)
    figure.add_trace(
        go.Heatmap(
            z=shown,
            colorscale="RdBu_r" if signed else "Inferno",
            zmin=-1 if signed else 0,
            zmax=1,
            opacity=0.55,
            colorbar=dict(
                title=dict(text="for / against" if signed else "relevance", side="top"),
                orientation="h",
                thickness=10,
                y=-0.05,
                yanchor="top",
            ),
            hoverinfo="skip",
        )
    )
    _frame(figure, height)
    figure.update_layout(margin=dict(l=0, r=0, t=0, b=50))
    return figure


def top_classes_figure(top: list[list], height: int = 180) -> go.Figure:
    """Horizontal bars of the top classes' calibrated probabilities."""
    names = [display_name(label) for label, _ in top][::-1]
    values = [probability for _, probability in top][::-1]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            text=[f"{v:.0%}" for v in values],
            textposition="auto",
            cliponaxis=False,
        )
    )
    # No x axis: the bars carry their percentages, and its last tick ("100%") was clipped in a narrow column.
    figure.update_layout(
        margin=dict(l=0, r=0, t=10, b=0), height=height, xaxis=dict(range=[0, 1], visible=False)
    )
    return figure


def for_a_column(figure: go.Figure) -> go.Figure:
    """A chart fitted to a narrow column: its legend in rows above the plot, no title.

    A legend beside the plot takes a third of a column at 800 px, and plotly clips
    a title that is wider than the figure (give the title as text above the chart).
    """
    figure.update_layout(
        title=None,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        margin=dict(l=0, r=0, t=30, b=0),
    )
    return figure


def confusion_figure(counts: pd.DataFrame) -> go.Figure:
    """A confusion matrix of image counts: true classes down the rows, predicted along the columns.

    Args:
        counts: square table of counts, indexed and headed by the class names shown.
    """
    return px.imshow(
        counts,
        text_auto=True,
        color_continuous_scale="Blues",
        aspect="auto",
        labels=dict(x="predicted", y="true", color="images"),
    )
