"""Classify page: upload cell images or smear fields (or pick a sample) and see the answers and why."""

from __future__ import annotations

import streamlit as st

from bcds_core.analysis import content_key
from bcds_core.report import model_versions, sample_report
from bcds_core.screening import screen
from bcds_ui.analysis_cache import analyze_field_one, analyze_one
from bcds_ui.attribution import show_attribution, show_model_attribution
from bcds_ui.batch_input import batch_input
from bcds_ui.cell_view import show_one
from bcds_ui.field_view import show_field
from bcds_ui.lab_profile_state import active_profile
from bcds_ui.models import require_analyzer
from bcds_ui.navigation import use_app_navigation
from bcds_ui.pixel_size_setting import pixel_size_setting, reading_settings
from bcds_ui.results_table import (
    differential_count_figure,
    differential_frame,
    display_frame,
    results_frame,
    safe_csv,
)
from bcds_ui.sample_review_view import review_panel

#: The batch table's columns as a person reads them (see ``display_frame``).
TABLE_COLUMNS = {
    "file": st.column_config.TextColumn("File"),
    "status": st.column_config.TextColumn(
        "Status", help="ok, review (check by eye), rejected, or corrected (by a person)"
    ),
    "group": st.column_config.TextColumn("Group"),
    "label": st.column_config.TextColumn("Fine class"),
    "group_confidence": st.column_config.TextColumn("Group confidence"),
    "label_confidence": st.column_config.TextColumn("Class confidence"),
    "message": st.column_config.TextColumn("Message", width="large"),
}


use_app_navigation()

st.title("Classify cells")
st.caption("Research and teaching aid, not a diagnostic device. Every answer is for a person to check.")
analyzer = require_analyzer()
pixel_size_um = pixel_size_setting()
profile_name, profile, profile_key = active_profile() or (None, None, None)
if profile_name:
    st.sidebar.info(f"Lab profile: {profile_name} (set on the calibration page).")


def show_fields(items: list[tuple[str, bytes]]) -> None:
    """Every white cell of each field, and the sample's counts over all fields."""
    fields = [
        analyze_field_one(analyzer, name, content_key(data), data, pixel_size_um, profile, profile_key)
        for name, data in items
    ]
    cells = [cell.result for field in fields for cell in field.cells]
    if cells:
        st.plotly_chart(differential_count_figure(cells), key="classify_field_count")
        show_differential(cells)
        show_screen(cells)
    for position, ((_, data), field) in enumerate(zip(items, fields, strict=True)):
        # the same field uploaded twice is shown twice
        show_field(field, f"{position}_{content_key(data)}", lambda cell, key: show_one(analyzer, cell, key))


def show_differential(results) -> None:
    """The white-cell differential in lineage order, with what is reported apart."""
    frame, apart = differential_frame(results)
    st.subheader("Differential")
    st.table(frame, hide_index=True)
    st.caption(apart)


def show_screen(results) -> None:
    """The sample's screening summary, with the cells that drove it."""
    summary = screen(results, analyzer.abnormal_thresholds.screen_bar)
    (st.warning if summary.leukaemia_suspected else st.info)(summary.message)
    if summary.driving:
        st.caption("Cells that drove it: " + summary.driving_line())
    st.caption(f"The rule: {summary.rule}.")


def show_cells(items: list[tuple[str, bytes]]) -> None:
    """One answer per image; a batch also gets its differential, screening summary and CSV."""
    progress = st.progress(0.0, text="Analysing...") if len(items) > 1 else None
    keys = [content_key(data) for _, data in items]
    results = []
    for i, (name, data) in enumerate(items):
        results.append(analyze_one(analyzer, name, keys[i], data, pixel_size_um, profile, profile_key))
        if progress:
            progress.progress((i + 1) / len(items), text=f"Analysed {i + 1} of {len(items)}")
    if len(results) == 1:
        show_one(analyzer, results[0], keys[0])
        return
    summary = st.container()  # drawn above the review, from the answers as reviewed
    read_with = reading_settings(pixel_size_um, profile_name, profile_key)
    review = review_panel(results, lambda i: show_one(analyzer, results[i], keys[i]), read_with)
    reviewed = review.reviewed(results)
    with summary:
        st.plotly_chart(differential_count_figure(reviewed), key="classify_count")
        show_differential(reviewed)
        show_screen(reviewed)
    frame = results_frame(reviewed)
    st.dataframe(display_frame(frame), hide_index=True, column_config=TABLE_COLUMNS, key="classify_table")
    st.download_button(
        "Download results (CSV)", safe_csv(frame), "bcds_results.csv", "text/csv", key="classify_csv"
    )
    sample_id = review.sample_id.strip() or "sample"
    versions, record = model_versions(analyzer), review.sign_off_lines() + review.correction_lines(results)
    st.download_button(  # built on the click, not on every rerun: 100 cells' thumbnails take a while
        "Download the report (PDF)",
        lambda: sample_report(reviewed, sample_id, versions, record, read_with),
        f"bcds_report_{sample_id}.pdf",
        "application/pdf",
        key="classify_pdf",
        on_click="ignore",
    )


fields_mode = st.toggle(
    "Smear fields: find and classify every white cell in each image",
    key="classify_fields",
    persist_state="session",
)
batch = batch_input(fields_mode)
if batch.items:
    if fields_mode:  # a statement: Streamlit's magic would print a conditional expression's None
        show_fields(batch.items)
    else:
        show_cells(batch.items)
    if not batch.own:
        show_attribution(st)
    show_model_attribution(st)
