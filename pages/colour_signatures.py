"""Colour and radial signatures: how far colour alone, seen ring by ring, tells the cells apart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bcds_core.explore.colour_histograms import REGIONS
from bcds_core.explore.radial_signatures import render_disc
from bcds_core.explore.stats_files import STATS_DIR, StatsMissingError
from bcds_core.explore.tables import histogram_rows, image_signature_rows, signature_rows
from bcds_core.image_io import ImageDecodeError, read_bytes
from bcds_core.paths import SAMPLES_DIR
from bcds_core.pixel_size import REFERENCE_PIXEL_UM, PixelSize
from bcds_core.taxonomy import FINE_CLASSES, GROUPS, display_name
from bcds_ui.attribution import show_attribution
from bcds_ui.figures import confusion_figure
from bcds_ui.navigation import use_app_navigation
from bcds_ui.signature_data import (
    analyze_upload,
    load_stats,
    nearest_signatures,
    outlier_picture,
    outlier_table,
)
from bcds_ui.signature_figures import distance_figure, histogram_figure, rings_figure, signature_figure

use_app_navigation()

KEY = "colour_signatures"


def class_picker(bundle, name: str) -> list[str]:
    level = st.radio("Classes", ["8 groups", "11 fine classes"], horizontal=True, key=f"{KEY}_{name}_level")
    options = [c for c in (GROUPS if level == "8 groups" else FINE_CLASSES) if c in bundle.signatures]
    return st.multiselect(
        "Show", options, default=options[:4], format_func=display_name, key=f"{KEY}_{name}_classes"
    )


def histograms_ui(bundle) -> None:
    classes = class_picker(bundle, "hist")
    space = st.radio("Colour space", ["RGB", "HSV"], horizontal=True, key=f"{KEY}_hist_space")
    regions = st.multiselect("Region", REGIONS, default=list(REGIONS), key=f"{KEY}_hist_regions")
    if classes and regions:
        rows = histogram_rows(bundle, classes, space, regions)
        st.plotly_chart(histogram_figure(rows), key=f"{KEY}_hist_chart")
    st.caption("Pixels inside the cell mask versus outside it (slide and red cells); H, S, V on 0-255.")


def signatures_ui(bundle) -> None:
    classes = class_picker(bundle, "radial")
    channel = st.selectbox("Channel", bundle.channels, key=f"{KEY}_radial_channel")
    if not classes:
        return
    st.plotly_chart(signature_figure(signature_rows(bundle, classes, channel)), key=f"{KEY}_radial_chart")
    st.caption("Each class's mean ring colour, painted back as a disc (the 'average cell'):")
    columns = st.columns(min(len(classes), 6))
    for i, name in enumerate(classes):
        disc = render_disc(bundle.signatures[name].mean, side=160)
        columns[i % len(columns)].image(disc, caption=display_name(name))


def pixel_size_note(pixel_size: PixelSize) -> str:
    """How the upload was brought to PBC's pixel size, which the class signatures' rings are drawn in."""
    how = {"estimated": "measured on its red cells", "assumed": "assumed"}.get(
        pixel_size.source, pixel_size.source
    )
    return (
        f"Read at {pixel_size.um:.3f} um per pixel ({how}) and shown at PBC's {REFERENCE_PIXEL_UM:.3f} um per "
        "pixel, the scale of the class signatures."
    )


def single_image_ui(bundle) -> None:
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    source = st.radio("Image", ["A sample", "Upload"], horizontal=True, key=f"{KEY}_single_source")
    if source == "Upload":
        upload = st.file_uploader("A cell image", key=f"{KEY}_single_upload")
        data = upload.getvalue() if upload else None
    else:
        path = st.selectbox("Sample", samples, format_func=lambda p: p.name, key=f"{KEY}_single_sample")
        data = read_bytes(path) if path else None
    if data is None:
        return
    try:
        rgb, centre, found, signature, pixel_size = analyze_upload(data)
    except ImageDecodeError as error:
        st.error(str(error))
        return
    left, right = st.columns(2)
    left.plotly_chart(rings_figure(rgb, centre), key=f"{KEY}_single_image")
    if source == "Upload":
        left.caption(pixel_size_note(pixel_size))
    else:
        show_attribution(left)
    if pixel_size.unfounded:
        left.warning(
            "No red cells to measure, and not the size of a CellaVision image: the rings assume PBC's "
            "pixel size, so at another magnification the nearest class means little."
        )
    if not found:
        left.warning("No cell mask was found; the image centre was used.")
    channel = right.selectbox("Channel", bundle.channels, key=f"{KEY}_single_channel")
    groups = [g for g in GROUPS if g in bundle.signatures]
    rows = signature_rows(bundle, groups, channel) + image_signature_rows(
        bundle, signature, channel, "this image"
    )
    right.plotly_chart(signature_figure(rows), key=f"{KEY}_single_sig")
    if bundle.classifier is not None:
        distances = nearest_signatures(bundle, signature)
        right.success(f"Nearest class signature: **{distances[0]['class']}**")
        right.plotly_chart(distance_figure(distances), key=f"{KEY}_single_dist")


def classifier_ui(bundle) -> None:
    evaluation = bundle.evaluation
    if evaluation is None:
        st.info("These statistics come from a folder without a test split, so there is no evaluation.")
        return
    metric = st.radio(
        "Distance",
        list(evaluation["metrics"]),
        horizontal=True,
        key=f"{KEY}_clf_metric",
        index=list(evaluation["metrics"]).index(evaluation["primary_metric"]),
    )
    result = evaluation["metrics"][metric]
    st.metric(
        f"Accuracy on the {evaluation['split']} split ({evaluation['n']} images, 8 groups)",
        f"{result['accuracy_8']:.1%}",
    )
    names = [display_name(c) for c in evaluation["classes"]]
    counts = pd.DataFrame(result["confusion"], index=names, columns=names)
    st.plotly_chart(confusion_figure(counts), key=f"{KEY}_clf_confusion")


def outliers_ui(bundle) -> None:
    if not bundle.outliers:
        st.info("No outliers in these statistics.")
        return
    st.dataframe(outlier_table(bundle), key=f"{KEY}_outlier_table")
    columns = st.columns(6)
    for i, row in enumerate(bundle.outliers):
        image, caption = outlier_picture(bundle, row)
        if image is not None:
            columns[i % 6].image(image, caption=caption, width="stretch")
    show_attribution(st)


st.title("Colour and radial signatures")
st.write(
    "A **radial signature** is the mean colour of the rings around the cell centre (from the U-Net mask), "
    "ring by ring. Each class has its mean signature; a cell is given the class whose signature is nearest."
)
try:
    stats = load_stats(str(STATS_DIR))
except StatsMissingError as error:
    st.warning(str(error))
    st.stop()
tab_names = [
    "Colour histograms",
    "Radial signatures",
    "One image",
    "Nearest-signature classifier",
    "Outliers",
]
for tab, render in zip(
    st.tabs(tab_names),
    [histograms_ui, signatures_ui, single_image_ui, classifier_ui, outliers_ui],
    strict=True,
):
    with tab:
        render(stats)
