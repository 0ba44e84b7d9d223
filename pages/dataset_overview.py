"""Dataset overview: how many cells of each class there are, their sizes, and what they look like."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from bcds_core.explore.gallery import gallery_page, images_by_label
from bcds_core.explore.stats_files import STATS_DIR, StatsMissingError, read_stats
from bcds_core.paths import SAMPLES_DIR, pbc_root
from bcds_core.taxonomy import FINE_TO_GROUP, GROUP_ONLY_LABELS, display_name
from bcds_ui.attribution import show_attribution
from bcds_ui.figures import for_a_column
from bcds_ui.navigation import use_app_navigation
from bcds_ui.report_files import written_at

use_app_navigation()

KEY = "dataset_overview"


@st.cache_data(show_spinner=False)
def load_summary(stats_dir: str, written: int | None) -> dict:
    """The statistics' dataset summary, cached per folder and ``written`` (when it was last written)."""
    return read_stats(stats_dir).summary


@st.cache_data(show_spinner=False)
def list_images(root: str) -> dict[str, list[str]]:
    return {label: [str(p) for p in paths] for label, paths in images_by_label(root).items()}


def counts_ui(summary: dict) -> None:
    settings = summary.get("settings", {})
    st.caption(
        f"Counted in `{settings.get('source', '?')}`: {summary['n_images']:,} images, "
        f"{summary['n_skipped']} files skipped (not images of the dataset)."
    )
    held = {g: n for g, n in summary["groups"].items() if n}  # the taxonomy's abnormal groups PBC has none of
    groups = pd.DataFrame({"group": [display_name(g) for g in held], "images": list(held.values())})
    labels = pd.DataFrame(
        [
            {
                "label": label,
                "group": display_name({**FINE_TO_GROUP, **GROUP_ONLY_LABELS}[label]),
                "images": n,
            }
            for label, n in summary["labels"].items()
            if n
        ]
    )
    fine = sum(label in FINE_TO_GROUP and n for label, n in summary["labels"].items())
    left, right = st.columns(2)
    left.markdown(f"**{len(groups)} groups**")
    left.plotly_chart(for_a_column(px.bar(groups, x="group", y="images")), key=f"{KEY}_groups")
    right.markdown(f"**{fine} fine classes (+ group-only labels)**")
    right.plotly_chart(
        for_a_column(px.bar(labels, x="label", y="images", color="group")), key=f"{KEY}_labels"
    )
    st.caption("NEUTROPHIL and IG images are labelled with their group only; they count for the 8 groups.")
    splits = pd.DataFrame(
        [
            {"split": s, "group": display_name(g), "images": n}
            for s, c in summary["splits"].items()
            for g, n in c.items()
        ]
    )
    left, right = st.columns(2)
    left.markdown("**Images per split (project split CSV)**")
    left.plotly_chart(for_a_column(px.bar(splits, x="group", y="images", color="split")), key=f"{KEY}_splits")
    sizes = pd.DataFrame(summary["sizes"], columns=["width", "height", "images"])
    sizes["size"] = sizes["width"].astype(str) + " x " + sizes["height"].astype(str)
    right.markdown("**Image sizes (width x height, px)**")
    right.plotly_chart(
        for_a_column(px.bar(sizes.head(12), x="size", y="images", log_y=True)), key=f"{KEY}_sizes"
    )


def gallery_ui() -> None:
    root = pbc_root() if pbc_root().is_dir() else SAMPLES_DIR
    by_label = list_images(str(root))
    if not by_label:
        st.info(f"No images found in {root}.")
        return
    st.caption("From the PBC dataset folder." if root != SAMPLES_DIR else "From the shipped samples.")
    cols = st.columns([2, 1, 1, 1])
    label = cols[0].selectbox(
        "Class", sorted(by_label), format_func=lambda x: f"{x}: {display_name(x)}", key=f"{KEY}_label"
    )
    seed = cols[1].number_input("Seed", 0, 10_000, 0, key=f"{KEY}_seed")
    per_page = cols[2].selectbox("Per page", [6, 12, 24], index=1, key=f"{KEY}_per_page")
    _, n_pages = gallery_page(by_label[label], int(seed), 0, per_page)
    page = cols[3].number_input("Page", 1, n_pages, 1, key=f"{KEY}_page", help=f"{n_pages} pages")
    paths, _ = gallery_page(by_label[label], int(seed), int(page) - 1, per_page)
    columns = st.columns(6)
    for i, path in enumerate(paths):
        columns[i % 6].image(path, caption=path.rsplit("/", 1)[-1], width="stretch")
    show_attribution(st)


st.title("Dataset overview")
st.write(
    "The PBC dataset: single blood cells photographed by a CellaVision DM96 analyser "
    "(May-Grünwald-Giemsa stain, healthy donors). How balanced are the classes, and what do they look like?"
)
try:
    counts_ui(load_summary(str(STATS_DIR), written_at(STATS_DIR)))
except StatsMissingError as error:
    st.warning(str(error))
st.header("Gallery")
gallery_ui()
