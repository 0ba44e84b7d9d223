"""Colour and radial signatures: how far colour alone, seen ring by ring, tells the cells apart."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from bcds_core.explore.cell_centre import CellLocator
from bcds_core.explore.colour_histograms import REGIONS
from bcds_core.explore.compute import analyse_image
from bcds_core.explore.radial_signatures import render_disc, signature_features
from bcds_core.explore.stats_files import STATS_DIR, StatsMissingError, read_stats
from bcds_core.explore.tables import distance_rows, histogram_rows, image_signature_rows, signature_rows
from bcds_core.image_io import ImageDecodeError, decode_image, read_bytes
from bcds_core.paths import SAMPLES_DIR, pbc_root
from bcds_core.taxonomy import FINE_CLASSES, GROUPS, display_name
from bcds_ui.attribution import show_attribution
from bcds_ui.figures import for_a_column
from bcds_ui.navigation import use_app_navigation

use_app_navigation()

KEY = "colour_signatures"


@st.cache_data(show_spinner=False)
def load_stats(stats_dir: str):
    return read_stats(stats_dir)


@st.cache_resource(show_spinner="Loading the cell masker...")
def cell_locator() -> CellLocator:
    return CellLocator()


@st.cache_data(show_spinner="Finding the cell...", max_entries=32)
def analyse_bytes(data: bytes):
    rgb = decode_image(data).rgb
    analysis = analyse_image(rgb, cell_locator())
    return rgb, analysis.location.centre, analysis.location.found, analysis.signature


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
        rows = pd.DataFrame(histogram_rows(bundle, classes, space, regions))
        figure = px.line(
            rows, x="level", y="fraction", color="class", line_dash="region", facet_col="channel"
        )
        st.plotly_chart(for_a_column(figure), key=f"{KEY}_hist_chart")
    st.caption("Pixels inside the cell mask versus outside it (slide and red cells); H, S, V on 0-255.")


def signatures_ui(bundle) -> None:
    classes = class_picker(bundle, "radial")
    channel = st.selectbox("Channel", bundle.channels, key=f"{KEY}_radial_channel")
    if not classes:
        return
    rows = pd.DataFrame(signature_rows(bundle, classes, channel))
    figure = px.line(rows, x="radius", y="mean", color="class", labels={"radius": "distance to centre (px)"})
    st.plotly_chart(for_a_column(figure), key=f"{KEY}_radial_chart")
    st.caption("Each class's mean ring colour, painted back as a disc (the 'average cell'):")
    columns = st.columns(min(len(classes), 6))
    for i, name in enumerate(classes):
        disc = render_disc(bundle.signatures[name].mean, side=160)
        columns[i % len(columns)].image(disc, caption=display_name(name))


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
        rgb, (x, y), found, signature = analyse_bytes(data)
    except ImageDecodeError as error:
        st.error(str(error))
        return
    left, right = st.columns(2)
    figure = px.imshow(rgb)
    for radius in range(20, 160, 20):
        figure.add_shape(
            type="circle",
            x0=x - radius,
            x1=x + radius,
            y0=y - radius,
            y1=y + radius,
            line={"color": "white", "width": 1},
        )
    figure.add_scatter(x=[x], y=[y], mode="markers", marker={"color": "yellow", "size": 9}, name="centre")
    left.plotly_chart(figure, key=f"{KEY}_single_image")
    show_attribution(left)
    if not found:
        left.warning("No cell mask was found; the image centre was used.")
    channel = right.selectbox("Channel", bundle.channels, key=f"{KEY}_single_channel")
    groups = [g for g in GROUPS if g in bundle.signatures]
    rows = signature_rows(bundle, groups, channel) + image_signature_rows(
        bundle, signature, channel, "this image"
    )
    right.plotly_chart(
        for_a_column(px.line(pd.DataFrame(rows), x="radius", y="mean", color="class")),
        key=f"{KEY}_single_sig",
    )
    if bundle.classifier is not None:
        distances = bundle.classifier.distances(signature_features(signature))[0]
        table = pd.DataFrame(distance_rows(bundle.classifier.classes, distances))
        right.success(f"Nearest class signature: **{table['class'][0]}**")
        right.plotly_chart(px.bar(table, x="class", y="distance"), key=f"{KEY}_single_dist")


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
    figure = px.imshow(
        result["confusion"],
        x=names,
        y=names,
        text_auto=True,
        color_continuous_scale="Blues",
        labels={"x": "predicted", "y": "true", "color": "images"},
    )
    st.plotly_chart(figure, key=f"{KEY}_clf_confusion")


def outliers_ui(bundle) -> None:
    if not bundle.outliers:
        st.info("No outliers in these statistics.")
        return
    st.dataframe(pd.DataFrame(bundle.outliers).drop(columns="thumbnail"), key=f"{KEY}_outlier_table")
    full = pbc_root().is_dir()
    columns = st.columns(6)
    for i, row in enumerate(bundle.outliers):
        path = pbc_root() / row["path"]
        image = str(path) if full and path.exists() else bundle.thumbnails.get(row["thumbnail"])
        caption = f"{row['path']}: {row['distance']:.1f} (median {row['class_median']:.1f})"
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
