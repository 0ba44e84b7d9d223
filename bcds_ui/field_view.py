"""A smear field on the page: numbered boxes on the field, a gallery of its cells, its counts."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.field.analysis import FieldResult
from bcds_core.overlays import outline
from bcds_core.taxonomy import display_name
from bcds_ui.figures import image_figure

STATUS_COLOUR = {"ok": "#2e7d32", "review": "#f9a825", "rejected": "#c62828"}


def field_figure(result: FieldResult, height: int = 420) -> go.Figure:
    """The field (as the result keeps it to show) with a numbered box per white cell, coloured by status."""
    figure = image_figure(result.rgb, f"{result.file}: {result.message}", height)
    for number, cell in enumerate(result.cells, start=1):
        x0, y0, x1, y1 = (v * result.scale for v in cell.box)
        colour = STATUS_COLOUR[cell.result.status]
        figure.add_shape(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=colour, width=3))
        figure.add_annotation(
            x=x0, y=y0, text=str(number), showarrow=False, font=dict(color="white"), bgcolor=colour
        )
    return figure


def show_field(result: FieldResult, key: str, show_cell: Callable[[CellResult, str], None]) -> None:
    """One analysed field: the boxes, each found cell with its answer, and the one chosen by its
    number drawn by ``show_cell(answer, key)`` (mask, heat map, top classes), as an uploaded cell is."""
    if not result.ok:
        st.error(f"{result.file}: {result.message}")
        return
    st.plotly_chart(field_figure(result), key=f"field_{key}")
    if not result.cells:
        st.info("No white cell was found in this field.")
        return
    columns = st.columns(min(4, len(result.cells)))
    for number, cell in enumerate(result.cells, start=1):
        answer = cell.result
        column = columns[(number - 1) % len(columns)]
        shown = outline(answer.rgb, answer.mask) if answer.mask is not None else answer.rgb
        column.image(shown, width=160)
        if answer.group:
            column.markdown(
                f"**{number}. {display_name(answer.group)}** ({answer.group_confidence:.1%}), {answer.status}"
            )
        else:
            column.markdown(f"**{number}.** {answer.status}")
        if answer.status != "ok":
            column.caption(answer.message)
    chosen = st.selectbox(
        "Look at one cell of the field: its mask, heat map and top classes",
        [None, *range(1, len(result.cells) + 1)],
        format_func=lambda n: (
            "none" if n is None else f"{n}. {display_name(result.cells[n - 1].result.group or 'none')}"
        ),
        key=f"field_open_{key}",
    )
    if chosen is not None:
        show_cell(result.cells[chosen - 1].result, f"{key}#{chosen}")
