"""One analysed cell on the page: mask, answer, status, pixel size and explanations."""

from __future__ import annotations

import streamlit as st

from bcds_core.explain import METHODS
from bcds_core.overlays import outline
from bcds_core.taxonomy import FINE_CLASSES, GROUPS, display_name
from bcds_ui.analysis_cache import explain_one, has_explanation
from bcds_ui.figures import heatmap_figure, image_figure, top_classes_figure
from bcds_ui.pixel_size_setting import pixel_size_caption

STATUS_BADGE = {
    "ok": ":green-badge[ok]",
    "review": ":orange-badge[review]",
    "rejected": ":red-badge[rejected]",
}


def show_one(analyzer, result, key: str) -> None:
    """The answer for one image: mask, class, confidence, top-3, status and explanations.

    Two columns, the answer under the mask: in three, a column of a page 800 px wide
    is narrower than the 150 px a plotly chart keeps as its least width, which clips it.
    """
    left, right = st.columns([1, 1.2])
    if result.rgb is not None and result.mask is not None:
        left.plotly_chart(
            image_figure(outline(result.rgb, result.mask), "U-Net mask"), key=f"classify_mask_{key}"
        )
    left.markdown(f"**{result.file}** {STATUS_BADGE[result.status]}")
    if result.label and result.status != "rejected":
        left.metric(display_name(result.group), f"{result.group_confidence:.0%}")
        left.markdown(f"Fine class: **{display_name(result.label)}** ({result.label_confidence:.0%})")
        left.plotly_chart(top_classes_figure(result.top), key=f"classify_top_{key}")
    (left.warning if result.status != "ok" else left.success)(result.message)
    left.caption(" ".join([pixel_size_caption(result), *(f"Decoding: {note}." for note in result.notes)]))
    if result.label and result.cell is not None and result.status != "rejected":
        explain_panel(right, analyzer, result, key)


def target_label(name: str) -> str:
    """A fine class by its name, a group marked as one (Basophil is both)."""
    return f"{display_name(name)} (group)" if name in GROUPS else display_name(name)


def explain_panel(column, analyzer, result, key: str) -> None:
    """Grad-CAM at once; the other methods (LIME with a progress note) on demand.

    Any fine class or group can be explained; the answered fine class is the default.
    """
    method = column.selectbox(
        "Explanation", list(METHODS), format_func=METHODS.get, key=f"classify_method_{key}"
    )
    target = column.selectbox(
        "Explain class or group",
        [*FINE_CLASSES, *GROUPS],
        index=FINE_CLASSES.index(result.label),
        format_func=target_label,
        key=f"classify_target_{key}",
    )
    slow = method in ("lime", "scorecam") and not has_explanation(result, key, method, target)
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
    heat = explanation.signed_image_heat if signed else explanation.image_heat
    column.markdown(f"**{METHODS[method]}: {target_label(target)}**")
    column.plotly_chart(
        heatmap_figure(result.rgb, heat, result.mask, signed=signed),
        key=f"classify_heat_{key}_{method}_{target}",
    )
    column.caption(
        f"{explanation.inside_mask_share:.0%} of the heat lies inside the cell mask; "
        f"computed in {explanation.seconds:.2f} s."
    )
