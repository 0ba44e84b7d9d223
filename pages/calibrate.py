"""Calibrate page: fit a lab profile from labelled cells of the user's microscope, and choose the active one."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from PIL import Image

from bcds_core.adapt import fit_profile
from bcds_core.analysis import content_key
from bcds_core.lab_archive import profile_archive, profile_from_archive
from bcds_core.lab_profile import ProfileError
from bcds_core.overlays import thumbnail
from bcds_core.taxonomy import display_name
from bcds_ui.calibrate_input import uploaded_cells
from bcds_ui.clickable_thumbnail import data_uri
from bcds_ui.lab_profile_state import active_profile, clear_active_profile, set_active_profile
from bcds_ui.models import require_analyzer
from bcds_ui.navigation import use_app_navigation
from bcds_ui.pixel_size_setting import pixel_size_setting, profile_pixel_size_caption

use_app_navigation()

st.title("Calibrate to my microscope")
st.caption(
    "Give bcds 5-20 cells per group from your own microscope, labelled by you; it fits a lab profile "
    "(pixel size, a small re-weighing head, the familiarity threshold) and shows the accuracy before and "
    "after, cross-validated. The profile never moves probability away from abnormal cells."
)
analyzer = require_analyzer()
pixel_size_um = pixel_size_setting()
sha = analyzer.classifier_config["weights_sha256"]


def fit_key(cells: list[tuple[str, bytes, str | None]]) -> str:
    """What a fit was made of: the cells (names, contents, groups) and the pixel size setting."""
    digest = hashlib.sha256(repr(pixel_size_um).encode())
    for name, data, group in cells:
        digest.update(f"{name}\t{group}\t{content_key(data)}\n".encode())
    return digest.hexdigest()


def fit(cells: list[tuple[str, bytes, str | None]]) -> None:
    """Fit the profile and keep it in the session, under what it was made of, so the buttons below it
    survive reruns and a fit of other cells (or of none, where this one fails) is never shown as it."""
    st.session_state.pop("calibrate_fitted", None)
    try:
        with st.spinner(f"Analysing {len(cells)} cells and fitting the profile..."):
            profile, answers = fit_profile(analyzer, cells, pixel_size_um)
        # the file names, and a 3-kB thumbnail of each cell still wrong: not the cells' images and
        # masks (1.2 MB a cell, kept for the session)
        st.session_state["calibrate_fitted"] = (
            fit_key(cells),
            profile,
            [(r.file, t, a, wrong_cell_picture(r) if t != a else None) for r, t, a in answers],
        )
    except ValueError as error:
        st.error(str(error))


def wrong_cell_picture(result) -> str:
    """A cell still answered wrongly, small enough to keep (``fit_profile`` answers readable cells only)."""
    return data_uri(Image.fromarray(thumbnail(result.rgb, 72)))


def show_fit(profile, answers) -> None:
    """Before/after and the cells still wrong; the profile for download and use."""
    summary = profile.summary
    before, after = st.columns(2)
    before.metric("Accuracy before", f"{summary['accuracy_before']:.0%}")
    searched = "accuracy_after_cv_by_pixel_size" in summary
    after.metric(
        # the pixel size is chosen on the same cells: the head is cross-validated, the choice is not
        "After (cross-validated; pixel size chosen on these cells)"
        if searched
        else "After (cross-validated)",
        f"{summary['accuracy_after_cv']:.0%}",
        # percentage points: "+29%" read as a relative gain
        f"{100 * (summary['accuracy_after_cv'] - summary['accuracy_before']):+.0f} points",
    )
    st.caption(profile_pixel_size_caption(profile))
    if unread := summary.get("unread"):
        st.caption(
            f"{unread} of your {summary['n']} labelled cells could not be read (not an image, damaged, "
            "no cell found, or the cell fills the frame at this pixel size); they count as wrong before "
            "and after."
        )
    st.caption(profile.head_note())
    wrong = [(picture, file, display_name(t), display_name(a)) for file, t, a, picture in answers if t != a]
    if wrong:
        st.write("Cells still answered wrongly after the profile (cross-validated):")
        st.dataframe(
            pd.DataFrame(wrong, columns=["cell", "file", "your label", "answer"]),
            hide_index=True,
            column_config={"cell": st.column_config.ImageColumn("cell", width="small")},
            row_height=72,
        )
    name = st.text_input("Profile name", "my microscope", key="calibrate_name")
    st.download_button(
        "Download the profile", profile_archive(profile), f"{name}.bcds-profile.zip", key="calibrate_download"
    )
    if st.button("Use this profile on the Classify page", key="calibrate_use"):
        set_active_profile(name, profile)
        st.success(f"Answers now use the profile '{name}'.")


cells = uploaded_cells()
if cells and st.button(f"Fit a profile on {len(cells)} cells", key="calibrate_fit"):
    fit(cells)
if (fitted := st.session_state.get("calibrate_fitted")) is not None:
    if fitted[0] == fit_key(cells):
        show_fit(*fitted[1:])
    else:
        st.info("The cells or the pixel size changed since the last fit: fit again to see its profile.")


def load_saved_profile() -> None:
    """Use the chosen profile file, once, when it is chosen (not on every rerun, which would undo
    "Stop using it" or replace a profile chosen after it)."""
    saved = st.session_state.get("calibrate_profile_upload")
    st.session_state.pop("calibrate_profile_error", None)
    if saved is None:
        return
    try:
        name = saved.name.removesuffix(".zip").removesuffix(".bcds-profile")
        set_active_profile(name, analyzer.check_profile(profile_from_archive(saved.getvalue(), sha)))
    except ProfileError as error:
        st.session_state["calibrate_profile_error"] = str(error)


st.divider()
st.file_uploader(
    "Or load a saved profile", type="zip", key="calibrate_profile_upload", on_change=load_saved_profile
)
if problem := st.session_state.get("calibrate_profile_error"):
    st.error(problem)
if (current := active_profile()) is not None:
    st.info(f"Active profile: {current[0]} ({current[1].summary.get('n', 0)} cells).")
    if st.button("Stop using it", key="calibrate_clear"):
        clear_active_profile()
        st.rerun()
