"""The sidebar setting for the micrometres per pixel of the user's images."""

from __future__ import annotations

import streamlit as st

from bcds_core.pixel_size import REFERENCE_PIXEL_UM

ESTIMATE = "Estimate from red cells"
#: Common set-ups and their micrometres per pixel.
PRESETS = {
    ESTIMATE: None,
    f"CellaVision DM96 / DI-60 ({REFERENCE_PIXEL_UM:.3f} um per pixel)": REFERENCE_PIXEL_UM,
    "Other (enter it)": "custom",
}


def pixel_size_setting() -> float | None:
    """The pixel size chosen in the sidebar, or None to estimate it per image."""
    with st.sidebar:
        choice = st.selectbox(
            "Pixel size of your images",
            list(PRESETS),
            key="settings_pixel_size",
            persist_state="session",  # kept across pages, which do not all draw the sidebar setting
            help="bcds reads every cell at the pixel size its models learned on. Without a value it "
            "measures red cells (7.5 um across) in each image. Where it cannot, an image of a CellaVision "
            "single-cell size is read at the CellaVision's pixel size and a tight crop of one cell is assumed "
            "to span 15 um; the answers for any other image are left for you to check, and stay so "
            "until a lab profile of your microscope reads them (Calibrate to my microscope).",
        )
        value = PRESETS[choice]
        if value == "custom":
            return st.number_input(
                "Micrometres per pixel",
                0.01,
                2.0,
                0.1,
                0.005,
                format="%.3f",
                key="settings_pixel_um",
                persist_state="session",
            )
        return value


def reading_settings(
    pixel_size_um: float | None, profile_name: str | None, profile_key: str | None = None
) -> str:
    """What a batch's answers are read with, in words: the pixel size setting and the lab profile,
    named with the start of its content key (a profile fitted again keeps Calibrate's default name,
    "my microscope", and must still read as another profile)."""
    size = (
        f"{pixel_size_um:g} um per pixel (given)"
        if pixel_size_um
        else "the pixel size measured or assumed per image"
    )
    if not profile_name:
        return f"{size} and no lab profile"
    return f"{size} and the lab profile {profile_name}" + (f" ({profile_key[:8]})" if profile_key else "")


def pixel_size_caption(result) -> str:
    """How the pixel size of a result was found, in words."""
    if result.pixel_size_um is None:
        return ""
    how = {"given": "as set", "estimated": "measured on its red cells", "assumed": "assumed"}
    caption = f"Read at {result.pixel_size_um:.3f} um per pixel ({how.get(result.pixel_size_source, '')})."
    if result.pixel_size.unfounded:
        caption += (
            " Not a CellaVision image and no red cells to measure: set the pixel size in the sidebar, "
            "and calibrate to your microscope for answers bcds can vouch for."
        )
    return caption


def profile_pixel_size_caption(profile) -> str:
    """The pixel size a lab profile reads the lab's images at, and how it was found, in words."""
    searched = profile.summary.get("accuracy_after_cv_by_pixel_size")
    if profile.pixel_size_um is None:
        caption = "Pixel size: each image's own (measured on its red cells, or assumed)."
        if searched:
            caption += " Of the several the profile tried, your cells were recognised best that way."
    elif searched:
        caption = (
            f"Pixel size: {profile.pixel_size_um:.3f} um per pixel. No red cells could measure it, so the "
            "profile tried several and keeps the one at which your cells were recognised best."
        )
    else:
        return f"Pixel size: {profile.pixel_size_um:.3f} um per pixel (as set, or measured on the red cells)."
    if sizes := profile.summary.get("head_pixel_sizes"):
        caption += (
            f" Its head learned your cells as read at {sizes} of the {len(searched)} pixel sizes tried."
        )
    return caption
