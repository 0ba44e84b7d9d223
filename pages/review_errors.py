"""Review page: where the classifier goes wrong on the test split, cell by cell."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import streamlit as st

from bcds_core.review_thumbnails import thumbnail_names
from bcds_core.taxonomy import display_name
from bcds_ui.attribution import show_attribution
from bcds_ui.navigation import use_app_navigation
from bcds_ui.review_data import (
    EVALUATION_DIR,
    SOURCES_DIR,
    example_images,
    full_image,
    load_evaluation,
    load_source_metrics,
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
st.caption(
    f"Project test split, never trained on: {metrics['n']} images, 8-group accuracy "
    f"{metrics['accuracy_8']:.1%}, 11-class accuracy {metrics['accuracy_11']:.1%}."
)
if (sources := load_source_metrics()) is not None:
    with st.expander("Per source: how many answers are ok, and how many of those are right"):
        st.dataframe(source_table(sources), hide_index=True, key="review_sources")
        st.image(str(SOURCES_DIR / "risk_coverage.png"), caption="Risk-coverage per source (held-out data)")
level = st.radio(
    "Classes", ["11", "8"], format_func=lambda v: f"{v} classes", horizontal=True, key="review_level"
)
truth_col, predicted_col = ("true_label", "label") if level == "11" else ("true_group", "group")
matrix = evaluation["confusion"][level]
st.plotly_chart(
    px.imshow(
        matrix,
        text_auto=True,
        color_continuous_scale="Blues",
        aspect="auto",
        labels=dict(x="predicted", y="true", color="images"),
    ),
    key="review_matrix",
)

errors = evaluation["errors"]
errors = errors[(errors[truth_col] != "") & (errors[truth_col] != errors[predicted_col])]
pairs = errors.groupby([truth_col, predicted_col]).size().sort_values(ascending=False)
if pairs.empty:
    st.success("No errors at this level.")
    st.stop()
chosen = st.selectbox(
    "True → predicted (choose a cell of the matrix)",
    list(pairs.index),
    format_func=lambda p: f"{display_name(p[0])} → {display_name(p[1] or 'none')} ({pairs[p]})",
    key="review_pair",
)
selected = errors[(errors[truth_col] == chosen[0]) & (errors[predicted_col] == chosen[1])]


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
    top = json.loads(row["top"]) if row["top"] else []
    facts.markdown(
        f"`{row['path']}`\n\ntrue **{display_name(row[truth_col])}**, predicted "
        f"**{display_name(row[predicted_col] or 'none')}**\n\nconfidence {float(row['label_confidence'] or 0):.0%}, "
        f"status {row['status']}"
    )
    facts.markdown("\n".join(f"- {display_name(label)}: {p:.0%}" for label, p in top))
    show_examples(true_examples, "True class", "label" if level == "11" else "group", row[truth_col])
    if row[predicted_col]:
        show_examples(
            predicted_examples, "Predicted", "label" if level == "11" else "group", row[predicted_col]
        )
if len(selected) > 10:
    st.caption(f"Showing 10 of {len(selected)}; the CSV below has all.")

st.subheader("Per-class report")
st.dataframe(pd.DataFrame(evaluation["report"][level]).T.round(3), key="review_report")
st.download_button(
    "Download all errors (CSV)",
    evaluation["errors"].to_csv(index=False),
    "bcds_misclassified.csv",
    "text/csv",
    key="review_csv",
)
show_attribution(st)
