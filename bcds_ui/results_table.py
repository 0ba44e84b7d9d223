"""Batch results as a table, a differential count and a CSV (pandas; no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from bcds_core.analysis import CellResult
from bcds_core.differential import counted, differential, summary_line
from bcds_core.sample_review import CORRECTED, spreadsheet_safe
from bcds_core.taxonomy import display_name

COLUMNS = ["file", "status", "group", "label", "group_confidence", "label_confidence", "message"]
STATUS_COLOURS = {"ok": "#2e7d32", "review": "#f9a825", CORRECTED: "#1565c0"}
#: Below this many cells in the tallest bar the axis gets a tick per cell (plotly would add halves).
UNIT_TICKS_UP_TO = 10


def results_frame(results: list[CellResult]) -> pd.DataFrame:
    """One row per file with the contract's main fields; a rejected image keeps its reason, not a class."""
    rows = []
    for result in results:
        row = {key: result.to_json()[key] for key in COLUMNS}
        if result.status == "rejected":
            row.update(group=None, label=None, group_confidence=None, label_confidence=None)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``results_frame`` as a person reads it: display names, confidences to one decimal as the
    messages give them ("confidence 42.5% is below..." beside 43% read as two figures), blanks not None."""

    def name(value) -> str:
        return display_name(value) if isinstance(value, str) else ""

    def percent(value) -> str:
        return "" if pd.isna(value) else f"{value:.1%}"

    return frame.assign(
        group=frame["group"].map(name),
        label=frame["label"].map(name),
        group_confidence=frame["group_confidence"].map(percent),
        label_confidence=frame["label_confidence"].map(percent),
        message=frame["message"].fillna(""),
    )


def differential_count_figure(results: list[CellResult]) -> go.Figure:
    """Bars of white cells per differential row (lineage order), stacked by status, counts on the bars.

    Nucleated red cells, platelets and smudge cells are reported apart, as in the
    differential table, and rejected images are not counted.
    """
    by_status = {
        status: differential([r for r in results if r.status == status]) for status in STATUS_COLOURS
    }
    figure = go.Figure()
    for status, found in by_status.items():
        counts = [count for _, count, _ in found.rows]
        figure.add_bar(
            x=[name for name, _, _ in found.rows],
            y=counts,
            name=status,
            marker_color=STATUS_COLOURS[status],
            text=[count or "" for count in counts],
            textposition="inside",
        )
    total = differential(results)
    tallest = max(count for _, count, _ in total.rows)
    figure.update_layout(
        barmode="stack",
        title=f"Differential count ({counted(total.white_cells, 'white cell')}; {counted(total.rejected, 'image')} rejected)",
        height=340,
        margin=dict(l=0, r=0, t=40, b=0),
        legend_title_text="status",
    )
    figure.update_yaxes(title="cells", tickformat="d", rangemode="tozero")
    if tallest <= UNIT_TICKS_UP_TO:
        figure.update_yaxes(dtick=1, range=[0, max(tallest, 1) + 0.5])
    return figure


def differential_frame(results: list[CellResult]) -> tuple[pd.DataFrame, str]:
    """The sample's differential as a table (cell, count, %) and the figures reported apart."""
    found = differential(results)
    frame = pd.DataFrame([(n, c, f"{p:.1f}") for n, c, p in found.rows], columns=["cell", "count", "%"])
    return frame, summary_line(found)


def safe_csv(frame: pd.DataFrame) -> str:
    """The table as CSV whose text cells no spreadsheet runs as a formula (file names are the user's)."""
    return frame.map(lambda v: spreadsheet_safe(v) if isinstance(v, str) else v).to_csv(index=False)
