"""Review page: where the classifier goes wrong on the evaluated images (the test split as shipped), cell by cell."""

from __future__ import annotations

import streamlit as st

from bcds_core.attribution import DATA_ATTRIBUTIONS
from bcds_core.review_thumbnails import thumbnail_names
from bcds_core.taxonomy import display_name
from bcds_ui.attribution import show_attribution, show_model_attribution
from bcds_ui.figures import confusion_figure
from bcds_ui.navigation import use_app_navigation
from bcds_ui.review_data import (
    EVALUATION_DIR,
    LEVEL_COLUMNS,
    SOURCES_DIR,
    class_report,
    error_facts,
    error_pairs,
    error_top_classes,
    evaluation_caption,
    example_images,
    full_image,
    level_errors,
    levels_measured,
    load_evaluation,
    load_source_metrics,
    pair_errors,
    source_table,
)

use_app_navigation()

st.title("Misclassified cells")
evaluation = load_evaluation()
if evaluation is None:
    st.info(
        "No evaluation artifacts yet: run `python -m bcds_core evaluate DIR --split test --out reports/evaluation --thumbnails`."
    )
    st.stop()

metrics = evaluation["metrics"]
st.caption(evaluation_caption(metrics))
if (sources := load_source_metrics()) is not None:
    with st.expander("Per source: how many answers are ok, and how many of those are right"):
        st.dataframe(source_table(sources), hide_index=True, key="review_sources")
        st.image(str(SOURCES_DIR / "risk_coverage.png"), caption="Risk-coverage per source (held-out data)")
        for credit in DATA_ATTRIBUTIONS:
            st.caption(credit)
level = st.radio(
    "Classes",
    levels_measured(metrics),
    format_func=lambda v: f"{v} classes",
    horizontal=True,
    key="review_level",
)
truth_col, predicted_col = LEVEL_COLUMNS[level]
st.plotly_chart(confusion_figure(evaluation["confusion"][level]), key="review_matrix")

errors = level_errors(evaluation["errors"], level)
pairs = error_pairs(errors, level)
if pairs.empty:
    st.success("No errors at this level.")
    st.stop()
chosen = st.selectbox(
    "True → predicted (choose a cell of the matrix)",
    list(pairs.index),
    format_func=lambda p: f"{display_name(p[0])} → {display_name(p[1] or 'none')} ({pairs[p]})",
    key="review_pair",
)
selected = pair_errors(errors, level, chosen)


def show_examples(column, title: str, label_column: str, label: str) -> None:
    column.markdown(f"**{title}: {display_name(label)}**")
    for path in example_images(label_column, label):
        column.image(str(path), width=110)


for _, row in selected.head(10).iterrows():
    st.divider()
    cell, cam, facts, true_examples, predicted_examples = st.columns([1.1, 1.1, 1.4, 1, 1])
    mask_name, cam_name = thumbnail_names(row["path"])
    if (EVALUATION_DIR / "thumbnails" / mask_name).exists():
        cell.image(str(EVALUATION_DIR / "thumbnails" / mask_name), caption="cell and U-Net mask")
        cam.image(str(EVALUATION_DIR / "thumbnails" / cam_name), caption="Grad-CAM (predicted class)")
    if (source := full_image(row["path"])) is not None:
        cell.caption(f"full size: `{source.name}`")
    facts.markdown(error_facts(row, level))
    facts.markdown(error_top_classes(row))
    show_examples(true_examples, "True class", predicted_col, row[truth_col])
    if row[predicted_col]:
        show_examples(predicted_examples, "Predicted", predicted_col, row[predicted_col])
if len(selected) > 10:
    st.caption(f"Showing 10 of {len(selected)}; the CSV below has all.")

st.subheader("Per-class report")
st.dataframe(class_report(evaluation, level), key="review_report")
st.download_button(
    "Download all errors (CSV)",
    evaluation["errors"].to_csv(index=False),
    "bcds_misclassified.csv",
    "text/csv",
    key="review_csv",
)
show_attribution(st)
show_model_attribution(st)
