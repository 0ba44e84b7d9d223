"""Batch results as a table, a differential count and a CSV (pandas; no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px

from bcds_core.analysis import CellResult
from bcds_core.differential import differential, summary_line
from bcds_core.sample_review import spreadsheet_safe
from bcds_core.taxonomy import GROUPS, display_name

COLUMNS = ["file", "status", "group", "label", "group_confidence", "label_confidence", "message"]


def results_frame(results: list[CellResult]) -> pd.DataFrame:
    """One row per file with the contract's main fields; a rejected image keeps its reason, not a class."""
    rows = []
    for result in results:
        row = {key: result.to_json()[key] for key in COLUMNS}
        if result.status == "rejected":
            row.update(group=None, label=None, group_confidence=None, label_confidence=None)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def differential_count_figure(frame: pd.DataFrame):
    """Bar chart of cells per group, split by status (rejected images are not counted)."""
    counted = frame[frame["status"] != "rejected"]
    counts = counted.groupby(["group", "status"]).size().reset_index(name="cells")
    counts["group"] = counts["group"].map(display_name)
    figure = px.bar(
        counts,
        x="group",
        y="cells",
        color="status",
        category_orders={"group": [display_name(g) for g in GROUPS], "status": ["ok", "review"]},
        color_discrete_map={"ok": "#2e7d32", "review": "#f9a825"},
        title=f"Differential count ({len(counted)} cells; {len(frame) - len(counted)} images rejected)",
    )
    figure.update_layout(height=320, margin=dict(l=0, r=0, t=40, b=0))
    return figure


def differential_frame(results: list[CellResult]) -> tuple[pd.DataFrame, str]:
    """The sample's differential as a table (cell, count, %) and the figures reported apart."""
    found = differential(results)
    frame = pd.DataFrame(found.rows, columns=["cell", "count", "%"])
    return frame, summary_line(found)


def safe_csv(frame: pd.DataFrame) -> str:
    """The table as CSV whose text cells no spreadsheet runs as a formula (file names are the user's)."""
    return frame.map(lambda v: spreadsheet_safe(v) if isinstance(v, str) else v).to_csv(index=False)
