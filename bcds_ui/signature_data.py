"""The colour signatures page's data: cached statistics, one image's signature, the outliers.

Streamlit's caches live here (statistics per folder, the cell locator once,
one analysis per image's bytes), so the page only draws.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from bcds_core.explore.cell_centre import CellLocator
from bcds_core.explore.compute import analyze_image
from bcds_core.explore.radial_signatures import signature_features
from bcds_core.explore.stats_files import StatsBundle, read_stats
from bcds_core.explore.tables import distance_rows
from bcds_core.field.analysis import read_field
from bcds_core.paths import pbc_root
from bcds_core.pixel_size import PixelSize
from bcds_ui.report_files import written_at


def load_stats(stats_dir: str) -> StatsBundle:
    """The statistics folder written by ``write_stats`` (raises ``StatsMissingError`` when absent)."""
    return _stats(stats_dir, written_at(stats_dir))


@st.cache_data(show_spinner=False)
def _stats(stats_dir: str, written: int | None) -> StatsBundle:
    """``load_stats``, cached per folder and ``written`` (when it was last written)."""
    return read_stats(stats_dir)


@st.cache_resource(show_spinner="Loading the cell masker...")
def cell_locator() -> CellLocator:
    return CellLocator()


@st.cache_data(show_spinner="Finding the cell...", max_entries=32)
def analyze_upload(data: bytes) -> tuple[np.ndarray, tuple[float, float], bool, np.ndarray, PixelSize]:
    """(RGB image at PBC's pixel size, cell centre (x, y), whether a mask was found, radial
    signature, the pixel size of the file's own pixels) of an image file.

    The class signatures are rings of fixed width in PBC's pixels, so an image of another
    magnification is first brought to PBC's pixel size, read as a smear field is (``read_field``:
    the pixel size measured on its red cells, as for the classifier's answers): read as it came,
    a cell photographed twice as large got another nearest class for 7 of the 11 shipped samples.

    Raises:
        ImageDecodeError: for bytes that are no readable image, or too large at PBC's pixel size.
    """
    reading = read_field(data)
    analysis = analyze_image(reading.rgb, cell_locator())
    in_file_pixels = replace(reading.pixel_size, um=reading.um_per_file_pixel)
    return reading.rgb, analysis.location.centre, analysis.location.found, analysis.signature, in_file_pixels


def nearest_signatures(bundle: StatsBundle, signature: np.ndarray) -> list[dict]:
    """Rows (class, distance) of the image's distance to each class signature, nearest first."""
    distances = bundle.classifier.distances(signature_features(signature))[0]
    return distance_rows(bundle.classifier.classes, distances)


def outlier_table(bundle: StatsBundle) -> pd.DataFrame:
    """The outliers as a table, without the thumbnails' file names."""
    return pd.DataFrame(bundle.outliers).drop(columns="thumbnail")


def outlier_picture(bundle: StatsBundle, row: dict) -> tuple[str | bytes | None, str]:
    """(the full image when the dataset is here else the shipped thumbnail, caption) of one outlier."""
    path = pbc_root() / row["path"]
    image = str(path) if pbc_root().is_dir() and path.exists() else bundle.thumbnails.get(row["thumbnail"])
    return image, f"{row['path']}: {row['distance']:.1f} (median {row['class_median']:.1f})"
