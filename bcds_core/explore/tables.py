"""Long-format tables of the statistics, one dict per row, ready for a plotting library.

The pages turn these into data frames and charts; keeping the reshaping here
keeps the pages thin and lets the tests check what a chart will show.
"""

from __future__ import annotations

import numpy as np

from bcds_core.explore import colour_histograms as hist
from bcds_core.explore.stats_files import StatsBundle
from bcds_core.taxonomy import display_name


def histogram_rows(bundle: StatsBundle, classes: list[str], channels: str, regions: list[str]) -> list[dict]:
    """Rows (class, region, channel, level, fraction) of the class histograms.

    Args:
        bundle: the statistics.
        classes: class names present in ``bundle.histograms``.
        channels: "RGB" or "HSV".
        regions: some of ``colour_histograms.REGIONS``.
    """
    edges = hist.bin_edges()
    levels = (edges[:-1] + edges[1:]) / 2
    rows = []
    for name in classes:
        for region in regions:
            r = hist.REGIONS.index(region)
            for channel in channels:
                fractions = bundle.histograms[name][r, hist.CHANNELS.index(channel)]
                rows += [
                    {
                        "class": display_name(name),
                        "region": region,
                        "channel": channel,
                        "level": float(level),
                        "fraction": float(value),
                    }
                    for level, value in zip(levels, fractions, strict=True)
                ]
    return rows


def signature_rows(bundle: StatsBundle, classes: list[str], channel: str) -> list[dict]:
    """Rows (class, radius, mean, low, high) of one channel of the class signatures.

    ``low`` and ``high`` are mean -/+ one standard deviation (NaN for hue). Rings
    without data are left out.
    """
    index = bundle.channels.index(channel)
    rows = []
    for name in classes:
        signature = bundle.signatures[name]
        mean, std = signature.mean[:, index], signature.std[:, index]
        rows += [
            {
                "class": display_name(name),
                "radius": float(r),
                "mean": float(m),
                "low": float(m - s),
                "high": float(m + s),
            }
            for r, m, s in zip(bundle.radii, mean, std, strict=True)
            if np.isfinite(m)
        ]
    return rows


def distance_rows(classes: tuple[str, ...], distances: np.ndarray) -> list[dict]:
    """Rows (class, distance) of one image's distances to each class signature, nearest first."""
    order = np.argsort(distances)
    return [{"class": display_name(classes[i]), "distance": float(distances[i])} for i in order]


def image_signature_rows(bundle: StatsBundle, signature: np.ndarray, channel: str, name: str) -> list[dict]:
    """Rows (class, radius, mean) of one channel of a single image's signature (N_BINS x C)."""
    values = signature[:, bundle.channels.index(channel)]
    return [
        {"class": name, "radius": float(r), "mean": float(v)}
        for r, v in zip(bundle.radii, values, strict=True)
        if np.isfinite(v)
    ]
