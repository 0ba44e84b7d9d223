"""The review page's data: the shipped evaluation artifacts (cached) and its rows of errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from bcds_core.dataset_index import IndexedImage, index_file
from bcds_core.paths import REPORTS_DIR, SAMPLES_DIR, pbc_root
from bcds_core.taxonomy import display_name
from bcds_ui.report_files import written_at

EVALUATION_DIR = REPORTS_DIR / "evaluation"
SOURCES_DIR = REPORTS_DIR / "sources"
#: Per level ("11" fine classes, "8" groups): the (true, predicted) columns of ``misclassified.csv``.
#: The predicted column's name is also the label column that ``example_images`` takes.
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {"11": ("true_label", "label"), "8": ("true_group", "group")}


def load_evaluation(directory: str = str(EVALUATION_DIR)) -> dict | None:
    """Metrics, confusion matrices, per-class reports and the error list; None if absent."""
    return _evaluation(directory, written_at(directory))


@st.cache_data(show_spinner=False)
def _evaluation(directory: str, written: int | None) -> dict | None:
    """``load_evaluation``, cached per folder and ``written`` (when it was last written)."""
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


def load_source_metrics(directory: str = str(SOURCES_DIR)) -> dict | None:
    """Per-source metrics of ``scripts/evaluate_sources.py``; None if absent."""
    return _source_metrics(directory, written_at(directory))


@st.cache_data(show_spinner=False)
def _source_metrics(directory: str, written: int | None) -> dict | None:
    """``load_source_metrics``, cached per folder and ``written`` (when it was last written)."""
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


def level_errors(errors: pd.DataFrame, level: str) -> pd.DataFrame:
    """The rows of ``misclassified.csv`` wrong at ``level`` (rows without a true label there are left out)."""
    truth, predicted = LEVEL_COLUMNS[level]
    return errors[(errors[truth] != "") & (errors[truth] != errors[predicted])]


def error_pairs(errors: pd.DataFrame, level: str) -> pd.Series:
    """Counts of the (true, predicted) pairs among ``level_errors``, most frequent first."""
    return errors.groupby(list(LEVEL_COLUMNS[level])).size().sort_values(ascending=False)


def pair_errors(errors: pd.DataFrame, level: str, pair: tuple[str, str]) -> pd.DataFrame:
    """The errors of one (true, predicted) pair."""
    truth, predicted = LEVEL_COLUMNS[level]
    return errors[(errors[truth] == pair[0]) & (errors[predicted] == pair[1])]


#: Per level: the confidence column of ``misclassified.csv`` that belongs to its answer.
LEVEL_CONFIDENCE = {"11": "label_confidence", "8": "group_confidence"}


def error_facts(row: pd.Series, level: str) -> str:
    """Markdown of one error: its path, true and predicted class, the confidence in that answer, and status.

    At the group level the confidence is the group's (the sum of its fine classes), as the answer
    states it: a monocyte read 44 % as myelocyte and 43 % as metamyelocyte is 87 % sure of the group.
    """
    truth, predicted = LEVEL_COLUMNS[level]
    return (
        f"`{row['path']}`\n\ntrue **{display_name(row[truth])}**, predicted "
        f"**{display_name(row[predicted] or 'none')}**\n\nconfidence {float(row[LEVEL_CONFIDENCE[level]] or 0):.1%}, "
        f"status {row['status']}"
    )


SPLIT_MEANING = {
    "test": "the project's test split of `{images}`, never trained on",
    "val": "the validation split of `{images}`, not trained on but used to choose releases",
    "train": "the training split of `{images}`: the model learned these cells",
    "all": "every image of `{images}` (the project's own images among them are partly training images)",
}


def evaluation_caption(metrics: dict) -> str:
    """What the evaluation measured: which images (as ``evaluate`` recorded them; an older evaluation
    did not), their number and group accuracy, and fine-class accuracy over the images that have a
    fine label (another lab's folder has none)."""
    if measured := metrics.get("measured_on"):
        where = SPLIT_MEANING[measured["split"]].format(images=measured["images"])
        if measured.get("limit"):
            where += f", its first {measured['limit']} images"
    else:
        where = "images it did not record"
    caption = f"The evaluation in `reports/evaluation`, on {where}: "
    caption += f"{metrics['n']} images, 8-group accuracy {metrics['accuracy_8']:.1%}"
    if metrics.get("n_fine"):
        caption += (
            f"; 11-class accuracy {metrics['accuracy_11']:.1%} on the {metrics['n_fine']} with a fine label"
        )
    return caption + "."


def levels_measured(metrics: dict) -> list[str]:
    """The levels the page can show: fine classes only where the evaluation had fine labels."""
    return ["11", "8"] if metrics.get("n_fine", metrics["n"]) else ["8"]


def error_top_classes(row: pd.Series) -> str:
    """Markdown list of the error's top classes and their probabilities (the CSV keeps them as JSON)."""
    top = json.loads(row["top"]) if row["top"] else []
    return "\n".join(f"- {display_name(label)}: {p:.1%}" for label, p in top)


def class_report(evaluation: dict, level: str) -> pd.DataFrame:
    """The per-class report (precision, recall, f1-score, support) at ``level``, a row per class."""
    return pd.DataFrame(evaluation["report"][level]).T.round(3)
