"""Classify page: upload cell images (or pick a sample) and see the answer and why."""

from __future__ import annotations

import streamlit as st

from bcds_core.explain import METHODS
from bcds_core.explain.base import crop_to_image
from bcds_core.paths import SAMPLES_DIR
from bcds_core.taxonomy import FINE_CLASSES, display_name
from bcds_ui.analysis_cache import analyze_one, content_key, explain_one, has_explanation
from bcds_ui.attribution import show_attribution
from bcds_ui.figures import heatmap_figure, image_figure, top_classes_figure, with_mask_outline
from bcds_ui.models import require_analyzer
from bcds_ui.navigation import use_app_navigation
from bcds_ui.results_table import differential_count_figure, results_frame

use_app_navigation()

STATUS_BADGE = {
    "ok": ":green-badge[ok]",
    "review": ":orange-badge[review]",
    "rejected": ":red-badge[rejected]",
}

st.title("Classify cells")
st.caption("Research and teaching aid, not a diagnostic device. Every answer is for a person to check.")
analyzer = require_analyzer()


def sample_picker() -> list[tuple[str, bytes]]:
    """One click on a class name loads a shipped sample of that class."""
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    by_label = {label: [p for p in samples if p.name.startswith(label + "_")] for label in FINE_CLASSES}
    st.write("Or try a sample (PBC test-split images):")
    chosen = st.pills(
        "Sample",
        [lab for lab in FINE_CLASSES if by_label[lab]],
        format_func=display_name,
        key="classify_sample",
        label_visibility="collapsed",
    )
    return [(by_label[chosen][0].name, by_label[chosen][0].read_bytes())] if chosen else []


def show_one(result, key: str) -> None:
    """The answer for one image: mask, class, confidence, top-3, status and explanations."""
    left, middle, right = st.columns([1, 1, 1.2])
    if result.rgb is not None and result.mask is not None:
        left.plotly_chart(
            image_figure(with_mask_outline(result.rgb, result.mask), "U-Net mask"), key=f"classify_mask_{key}"
        )
    middle.markdown(f"**{result.file}** {STATUS_BADGE[result.status]}")
    if result.label:
        middle.metric(display_name(result.group), f"{result.group_confidence:.0%}")
        middle.markdown(f"Fine class: **{display_name(result.label)}** ({result.label_confidence:.0%})")
        middle.plotly_chart(top_classes_figure(result.top), key=f"classify_top_{key}")
    (middle.warning if result.status != "ok" else middle.success)(result.message)
    if result.label and result.cell is not None:
        explain_panel(right, result, key)


def explain_panel(column, result, key: str) -> None:
    """Grad-CAM at once; the other methods (LIME with a progress note) on demand."""
    method = column.selectbox(
        "Explanation", list(METHODS), format_func=METHODS.get, key=f"classify_method_{key}"
    )
    target_label = column.selectbox(
        "Explain class",
        FINE_CLASSES,
        index=FINE_CLASSES.index(result.label),
        format_func=display_name,
        key=f"classify_target_{key}",
    )
    target = FINE_CLASSES.index(target_label)
    slow = method in ("lime", "scorecam") and not has_explanation(key, method, target)
    if slow and not column.button(f"Run {METHODS[method]}", key=f"classify_run_{key}_{method}"):
        column.info(f"{METHODS[method]} takes a few seconds per cell: press the button to run it.")
        return
    bar = column.progress(0.0, text=f"Computing {METHODS[method]}...") if slow else None

    def report(fraction: float) -> None:
        bar.progress(fraction, text=f"{METHODS[method]}: {fraction:.0%} of the perturbed samples scored")

    explanation = explain_one(analyzer, result, key, method, target, report if slow else None)
    if bar is not None:
        bar.empty()
    signed = explanation.signed_crop is not None
    heat = explanation.image_heat
    if signed:
        heat = crop_to_image(explanation.signed_crop, result.cell)
    column.plotly_chart(
        heatmap_figure(
            result.rgb, heat, result.mask, f"{METHODS[method]}: {display_name(target_label)}", signed=signed
        ),
        key=f"classify_heat_{key}_{method}_{target_label}",
    )
    column.caption(
        f"{explanation.inside_mask_share:.0%} of the heat lies inside the cell mask; "
        f"computed in {explanation.seconds:.2f} s."
    )


uploads = st.file_uploader(
    "Cell images (JPEG, PNG, BMP, TIFF)", accept_multiple_files=True, key="classify_upload"
)
items = [(f.name, f.getvalue()) for f in uploads] if uploads else sample_picker()
if items:
    progress = st.progress(0.0, text="Analysing...") if len(items) > 1 else None
    results = []
    for i, (name, data) in enumerate(items):
        results.append(analyze_one(analyzer, name, content_key(data), data))
        if progress:
            progress.progress((i + 1) / len(items), text=f"Analysed {i + 1} of {len(items)}")
    if len(results) == 1:
        show_one(results[0], content_key(items[0][1]))
    else:
        frame = results_frame(results)
        st.plotly_chart(differential_count_figure(frame), key="classify_count")
        st.dataframe(frame, hide_index=True, key="classify_table")
        st.download_button(
            "Download results (CSV)",
            frame.to_csv(index=False),
            "bcds_results.csv",
            "text/csv",
            key="classify_csv",
        )
        names = [r.file for r in results]
        chosen = st.selectbox(
            "Show one image", range(len(names)), format_func=names.__getitem__, key="classify_pick"
        )
        show_one(results[chosen], content_key(items[chosen][1]))
    show_attribution(st)
