"""Loading the shipped evaluation artifacts for the review page (cached)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from bcds_core.dataset_index import IndexedImage, index_file
from bcds_core.paths import REPORTS_DIR, SAMPLES_DIR, pbc_root

EVALUATION_DIR = REPORTS_DIR / "evaluation"
SOURCES_DIR = REPORTS_DIR / "sources"


@st.cache_data(show_spinner=False)
def load_evaluation(directory: str = str(EVALUATION_DIR)) -> dict | None:
    """Metrics, confusion matrices, per-class reports and the error list; None if absent."""
    folder = Path(directory)
    if not (folder / "metrics.json").exists():
        return None
    return {
        "metrics": json.loads((folder / "metrics.json").read_text()),
        "confusion": {
            level: pd.read_csv(folder / f"confusion_{level}.csv", index_col=0) for level in ("8", "11")
        },
        "report": {level: json.loads((folder / f"report_{level}.json").read_text()) for level in ("8", "11")},
        "errors": pd.read_csv(folder / "misclassified.csv", keep_default_na=False),
    }


def example_images(label_column: str, label: str, count: int = 3) -> list[Path]:
    """A few images of a class: from the dataset when present, else the shipped samples.

    Only files that the dataset index accepts (PBC keeps a non-image ``.DS_...jpg`` among its
    neutrophils) are offered, so the page never hands a broken file to the browser.
    """
    root = pbc_root() if pbc_root().is_dir() else SAMPLES_DIR
    pattern = f"{label}/*.jpg" if label_column == "group" else f"*/{label}_*.jpg"
    chosen = []
    for path in sorted(root.glob(pattern)):
        if isinstance(index_file(root, path), IndexedImage):
            chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def full_image(path: str) -> Path | None:
    """The full-size image of a dataset path, when a dataset folder is configured."""
    candidate = pbc_root() / path
    return candidate if candidate.exists() else None


@st.cache_data(show_spinner=False)
def load_source_metrics(directory: str = str(SOURCES_DIR)) -> dict | None:
    """Per-source metrics of ``scripts/evaluate_sources.py``; None if absent."""
    path = Path(directory) / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else None


def source_table(metrics: dict) -> pd.DataFrame:
    """One row per source: images, group accuracy, share answered ok and how many of those are right."""
    return pd.DataFrame(
        [
            {
                "source": name,
                "images": m["n"],
                "group accuracy": f"{m['accuracy_8']:.1%}",
                "answered ok": f"{m['ok_share']:.1%}",
                "ok answers right": f"{m['ok_right']:.1%}" if m.get("ok_right") is not None else "-",
            }
            for name, m in metrics.items()
        ]
    )
