"""Plotly figures for the pages: images with masks and heat maps, probability bars, confusion matrices.

No Streamlit here, so the figures can be built and checked in tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb

from bcds_core.overlays import outline
from bcds_core.taxonomy import display_name

#: Opacity of the strongest relevance in the app's heat maps; weaker relevance fades to clear.
HEAT_OPACITY = 0.6
#: Stops of the fading colour scales.
HEAT_STOPS = 11


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
    figure.add_trace(
        go.Heatmap(
            z=heat,
            colorscale=fading_colorscale("RdBu_r" if signed else "Inferno", signed),
            zmin=-1 if signed else 0,
            zmax=1,
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


def fading_colorscale(name: str, signed: bool = False) -> list[list]:
    """A plotly colour scale whose opacity grows with the relevance it shows (with its size when
    ``signed``), as ``overlays.heat_overlay`` weighs its blend: at one opacity for every value, the
    faint relevance that Grad-CAM spreads over the whole input crop drew a dark square around the cell.
    """
    stops = np.linspace(0.0, 1.0, HEAT_STOPS)
    colours = sample_colorscale(name, stops.tolist())
    strength = np.abs(stops * 2 - 1) if signed else stops
    return [
        [
            round(float(stop), 2),
            "rgba({:.0f}, {:.0f}, {:.0f}, {:.2f})".format(*unlabel_rgb(colour), HEAT_OPACITY * weight),
        ]
        for stop, colour, weight in zip(stops, colours, strength, strict=True)
    ]


def top_classes_figure(top: list[list], height: int = 180) -> go.Figure:
    """Horizontal bars of the top classes' calibrated probabilities."""
    names = [display_name(label) for label, _ in top][::-1]
    values = [probability for _, probability in top][::-1]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            text=[f"{v:.1%}" for v in values],  # as the answer above the bars gives them
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
