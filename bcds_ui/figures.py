"""Plotly figures for the pages: images with masks and heat maps, probability bars.

No Streamlit here, so the figures can be built and checked in tests.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from skimage.segmentation import find_boundaries

from bcds_core.taxonomy import display_name

MASK_OUTLINE_RGB = (0, 200, 120)


def with_mask_outline(rgb: np.ndarray, mask: np.ndarray, thickness: int = 2) -> np.ndarray:
    """A copy of ``rgb`` (HxWx3 uint8) with the mask's outline drawn on it."""
    outline = find_boundaries(mask, mode="inner")
    for _ in range(thickness - 1):
        outline |= find_boundaries(outline, mode="outer")
    shown = rgb.copy()
    shown[outline] = MASK_OUTLINE_RGB
    return shown


def _frame(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(margin=dict(l=0, r=0, t=30, b=0), height=height)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    return figure


def image_figure(rgb: np.ndarray, title: str = "", height: int = 320) -> go.Figure:
    """An RGB image as a plotly figure (zoom and pan for free)."""
    return _frame(go.Figure(go.Image(z=rgb), layout_title_text=title), height)


def heatmap_figure(
    rgb: np.ndarray, heat: np.ndarray, mask: np.ndarray, title: str, signed: bool = False, height: int = 320
) -> go.Figure:
    """The image with the mask outline and a semi-transparent heat map with its colour scale.

    Args:
        rgb: HxWx3 uint8 image.
        heat: HxW float, [0, 1] (or [-1, 1] when ``signed``: for and against the class).
        mask: HxW bool cell mask, drawn as an outline.
    """
    figure = go.Figure(go.Image(z=with_mask_outline(rgb, mask)))
    shown = np.where(np.abs(heat) > 0.02, heat, np.nan)
    figure.add_trace(
        go.Heatmap(
            z=shown,
            colorscale="RdBu_r" if signed else "Inferno",
            zmin=-1 if signed else 0,
            zmax=1,
            opacity=0.55,
            colorbar=dict(title="for / against" if signed else "relevance", thickness=12),
            hoverinfo="skip",
        )
    )
    figure.update_layout(title_text=title)
    return _frame(figure, height)


def top_classes_figure(top: list[list], height: int = 180) -> go.Figure:
    """Horizontal bars of the top classes' calibrated probabilities."""
    names = [display_name(label) for label, _ in top][::-1]
    values = [probability for _, probability in top][::-1]
    figure = go.Figure(
        go.Bar(x=values, y=names, orientation="h", text=[f"{v:.0%}" for v in values], textposition="auto")
    )
    figure.update_layout(
        margin=dict(l=0, r=0, t=10, b=0), height=height, xaxis=dict(range=[0, 1], tickformat=".0%")
    )
    return figure
