"""One analysed cell on the page: mask, answer, status, pixel size and explanations."""

from __future__ import annotations

import numpy as np
import streamlit as st

from bcds_core.explain import METHODS
from bcds_core.explain.cam import CLASS_AGNOSTIC
from bcds_core.overlays import outline
from bcds_core.taxonomy import FINE_CLASSES, GROUPS, display_name
from bcds_ui.analysis_cache import explain_one, has_explanation
from bcds_ui.figures import heatmap_figure, image_figure, top_classes_figure
from bcds_ui.lab_profile_state import active_profile
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
        # one decimal, as the status message gives it: "88%" above "87.9% is below the threshold 88%" read as a contradiction
        left.metric(display_name(result.group), f"{result.group_confidence:.1%}")
        left.markdown(f"Fine class: **{display_name(result.label)}** ({result.label_confidence:.1%})")
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

    Any fine class or group can be explained; the answered fine class is the default (the
    target's key names it, so an answer changed by another pixel size or lab profile resets it).
    """
    method = column.selectbox(
        "Explanation", list(METHODS), format_func=METHODS.get, key=f"classify_method_{key}"
    )
    target = column.selectbox(
        "Explain class or group",
        [*FINE_CLASSES, *GROUPS],
        index=FINE_CLASSES.index(result.label),
        format_func=target_label,
        key=f"classify_target_{key}_{result.label}",
    )
    slow = method == "lime" and not has_explanation(result, method, target)
    if slow and not column.button(f"Run {METHODS[method]}", key=f"classify_run_{key}_{method}"):
        column.info(f"{METHODS[method]} takes a few seconds per cell: press the button to run it.")
        return
    bar = column.progress(0.0, text=f"Computing {METHODS[method]}...") if slow else None

    def report(fraction: float) -> None:
        bar.progress(fraction, text=f"{METHODS[method]}: {fraction:.0%} of the perturbed samples scored")

    explanation = explain_one(analyzer, result, method, target, report if slow else None)
    if bar is not None:
        bar.empty()
    signed = explanation.signed_crop is not None
    heat = explanation.signed_image_heat if signed else explanation.image_heat
    explained = "the same map for every class" if method in CLASS_AGNOSTIC else target_label(target)
    column.markdown(f"**{METHODS[method]}: {explained}**")
    column.plotly_chart(
        heatmap_figure(result.rgb, heat, result.mask, signed=signed),
        key=f"classify_heat_{key}_{method}_{target}",
    )
    column.caption(f"{heat_caption(explanation, method)} Computed in {explanation.seconds:.2f} s.")
    if active_profile() is not None:
        column.caption(
            "With a lab profile the map shows what the network saw; the profile's re-weighing of the "
            "groups after it is not in the map."
        )


def heat_caption(explanation, method: str) -> str:
    """Where the heat lies, where that says something: LIME scores only the cell's own superpixels,
    and an empty map (a class the network finds no evidence for) has no heat to place."""
    crop = explanation.signed_crop if explanation.signed_crop is not None else explanation.crop_heat
    if not np.abs(crop).max() > 0:
        return "The map is empty: the network finds no evidence for this class in the cell."
    if method == "lime":
        return "LIME scores the superpixels inside the cell mask only."
    return f"{explanation.inside_mask_share:.0%} of the heat lies inside the cell mask."
