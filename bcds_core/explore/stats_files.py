"""The statistics files: what ``stats`` writes and the pages read.

Everything is small and plain so that it can be committed and read without the
dataset: JSON for counts, histograms, signatures and the evaluation, CSV for the
outliers, 96-px JPEG thumbnails of the outliers (PBC images, CC BY 4.0), and one
``.npz`` of plain float arrays for the classifier (loaded without pickle).

Layout of a statistics folder (default ``reports/stats``)::

    summary.json        dataset counts and the settings of the run
    histograms.json     per class: cell / background x R,G,B,H,S,V x 32 bins (fractions)
    signatures.json     per class: ring-wise mean and std of R,G,B,H,S,V, image count
    classifier.npz      the nearest-signature classifier (see nearest_signature)
    evaluation.json     accuracy and confusion matrices on the test split (absent if none)
    outliers.csv        images farthest from their class signature
    thumbnails/*.jpg    one thumbnail per outlier
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bcds_core.explore.nearest_signature import NearestSignatureClassifier
from bcds_core.paths import REPORTS_DIR

STATS_DIR = REPORTS_DIR / "stats"
SUMMARY_FILE = "summary.json"
HISTOGRAMS_FILE = "histograms.json"
SIGNATURES_FILE = "signatures.json"
CLASSIFIER_FILE = "classifier.npz"
EVALUATION_FILE = "evaluation.json"
OUTLIERS_FILE = "outliers.csv"
THUMBNAILS_DIR = "thumbnails"
OUTLIER_COLUMNS = ("path", "group", "label", "split", "distance", "class_median", "predicted", "thumbnail")
#: Decimals kept in the JSON files (values are 0-255 intensities or fractions).
DECIMALS = 5


class StatsMissingError(FileNotFoundError):
    """The statistics files are not there; the message says how to make them."""


@dataclass
class ClassSignature:
    """A class's radial signature.

    Attributes:
        mean, std: N_BINS x len(CHANNELS) float32 (0-255; hue std is NaN, hue being circular).
        n: images averaged.
    """

    mean: np.ndarray
    std: np.ndarray
    n: int


@dataclass
class StatsBundle:
    """All statistics of one folder, as computed and as read back."""

    summary: dict
    histograms: dict[str, np.ndarray]
    histogram_images: dict[str, int]
    signatures: dict[str, ClassSignature]
    radii: np.ndarray
    channels: tuple[str, ...]
    classifier: NearestSignatureClassifier | None = None
    evaluation: dict | None = None
    outliers: list[dict] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)


def _rounded(array: np.ndarray) -> list:
    """Nested lists with DECIMALS decimals; NaN becomes None (JSON null)."""
    values = np.round(np.asarray(array, np.float64), DECIMALS)
    return np.where(np.isfinite(values), values, None).tolist()


def _array(nested: list) -> np.ndarray:
    return np.array(nested, dtype=np.float64).astype(np.float32)  # None -> nan


def _dump(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")


def write_stats(bundle: StatsBundle, out_dir: str | Path) -> list[Path]:
    """Write a bundle into ``out_dir`` (created; old thumbnails replaced). Returns the files."""
    out = Path(out_dir)
    (out / THUMBNAILS_DIR).mkdir(parents=True, exist_ok=True)
    for old in (out / THUMBNAILS_DIR).glob("*.jpg"):
        old.unlink()
    _dump(out / SUMMARY_FILE, bundle.summary)
    _dump(
        out / HISTOGRAMS_FILE,
        {
            "images": bundle.histogram_images,
            "classes": {name: _rounded(h) for name, h in bundle.histograms.items()},
        },
    )
    _dump(
        out / SIGNATURES_FILE,
        {
            "radii": _rounded(bundle.radii),
            "channels": list(bundle.channels),
            "classes": {
                name: {"n": s.n, "mean": _rounded(s.mean), "std": _rounded(s.std)}
                for name, s in bundle.signatures.items()
            },
        },
    )
    for optional in (CLASSIFIER_FILE, EVALUATION_FILE):
        (out / optional).unlink(missing_ok=True)
    if bundle.classifier is not None:
        bundle.classifier.save(out / CLASSIFIER_FILE)
    if bundle.evaluation is not None:
        _dump(out / EVALUATION_FILE, bundle.evaluation)
    with open(out / OUTLIERS_FILE, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUTLIER_COLUMNS)
        writer.writeheader()
        writer.writerows({key: row.get(key, "") for key in OUTLIER_COLUMNS} for row in bundle.outliers)
    for name, data in bundle.thumbnails.items():
        (out / THUMBNAILS_DIR / name).write_bytes(data)
    return sorted(p for p in out.rglob("*") if p.is_file())


def _required(path: Path) -> Path:
    """``path``, or ``StatsMissingError`` (which the pages show as a message) where it is missing."""
    if not path.exists():
        raise StatsMissingError(
            f"No statistics in {path.parent}: run `python -m bcds_core stats DATASET_DIR` first."
        )
    return path


def _load(path: Path) -> dict:
    return json.loads(_required(path).read_text())


def read_stats(stats_dir: str | Path = STATS_DIR) -> StatsBundle:
    """Read a statistics folder written by ``write_stats``.

    Raises:
        StatsMissingError: the folder or one of its required files is missing.
    """
    folder = Path(stats_dir)
    histograms = _load(folder / HISTOGRAMS_FILE)
    signatures = _load(folder / SIGNATURES_FILE)
    evaluation_path = folder / EVALUATION_FILE
    with open(_required(folder / OUTLIERS_FILE), newline="") as handle:
        outliers = list(csv.DictReader(handle))
    for row in outliers:
        row["distance"], row["class_median"] = float(row["distance"]), float(row["class_median"])
    classifier_path = folder / CLASSIFIER_FILE
    return StatsBundle(
        summary=_load(folder / SUMMARY_FILE),
        histograms={name: _array(h) for name, h in histograms["classes"].items()},
        histogram_images=histograms["images"],
        signatures={
            name: ClassSignature(_array(s["mean"]), _array(s["std"]), s["n"])
            for name, s in signatures["classes"].items()
        },
        radii=_array(signatures["radii"]),
        channels=tuple(signatures["channels"]),
        classifier=NearestSignatureClassifier.load(classifier_path) if classifier_path.exists() else None,
        evaluation=json.loads(evaluation_path.read_text()) if evaluation_path.exists() else None,
        outliers=outliers,
        thumbnails={p.name: p.read_bytes() for p in sorted((folder / THUMBNAILS_DIR).glob("*.jpg"))},
    )


def load_signature_classifier(stats_dir: str | Path = STATS_DIR) -> NearestSignatureClassifier:
    """The shipped nearest-signature classifier.

    Raises:
        StatsMissingError: ``stats`` has not written one (e.g. a folder of a single class).
    """
    path = Path(stats_dir) / CLASSIFIER_FILE
    if not path.exists():
        raise StatsMissingError(
            f"No nearest-signature classifier in {path.parent}: run `python -m bcds_core stats` "
            "on a folder with at least two classes first."
        )
    return NearestSignatureClassifier.load(path)
