"""The DeepAPL discovery cohort: another hospital's CellaVision, with leukaemic cells.

Sidhom et al. (2021), npj Precision Oncology 5:38; images from the repository
sidhomj/DeepAPL (committed while it was MIT-licensed). Only the discovery
cohort listed in ``deepapl/discovery.csv`` of the shared data is read; the
validation cohort is held back to measure the project and is never opened.

The images are extracted from a local git mirror by blob id (each checked by
git against the manifest's id) into the git-ignored cache folder, named by
blob id. Patients, never images, are split into train / val / test, so that no
patient's cells are on both sides of a measurement.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bcds_core.image_io import ImageDecodeError, decode_image
from bcds_core.paths import CACHE_DIR, DATASET_DIR, data_root
from bcds_core.splits import SplitRow
from bcds_core.taxonomy import FINE_TO_GROUP

#: CellaVision class -> bcds fine label. Classes not listed (plasma cells, giant
#: platelets, platelet clumps, one prolymphocyte) are too few or outside the taxonomy.
CELLAVISION_TO_LABEL: dict[str, str] = {
    "Lymphocyte": "LY",
    "Segmented neutrophils": "SNE",
    "Band neutrophils": "BNE",
    "Monocyte": "MO",
    "Erythroblast": "ERB",
    "Myelocyte": "MY",
    "Metamyelocyte": "MMY",
    "Eosinophils": "EO",
    "Basophil": "BA",
    "Blast, no lineage spec": "BLAST",
    # Promonocytes count as blast equivalents in AML (WHO).
    "Promonocyte": "BLAST",
    # Promyelocytes in the blood of AML/APL patients are the leukaemic (abnormal) ones.
    "Promyelocyte": "ABPMY",
    "Lymphocyte, variant": "VLY",
    "Smudge cells": "SMUDGE",
}
#: The patient-level split of the labelled cells, as split rows (committed; no images).
SPLIT_CSV = DATASET_DIR / "deepapl_split.csv"
SPLIT_SEED = "bcds-deepapl-patients-v1"
#: Fractions of each diagnosis's patients held for validation and test.
VAL_FRACTION = 0.15
TEST_FRACTION = 0.15


@dataclass(frozen=True)
class DeepAplCell:
    """One labelled cell of the manifest, with its patient-level split."""

    path: str
    blob: str
    patient: str
    diagnosis: str
    cellavision_class: str
    label: str | None
    split: str

    @property
    def file_name(self) -> str:
        return f"{self.blob}.jpg"


def manifest_path() -> Path:
    return data_root() / "deepapl" / "discovery.csv"


def images_dir() -> Path:
    """Git-ignored folder of the extracted images, one ``<blob>.jpg`` per cell."""
    return CACHE_DIR / "deepapl" / "images"


def patient_splits(patients: dict[str, str]) -> dict[str, str]:
    """patient -> split, stratified by diagnosis, ordered by a seeded hash of the patient id."""
    split_of: dict[str, str] = {}
    for diagnosis in sorted(set(patients.values())):
        ordered = sorted(
            (p for p, d in patients.items() if d == diagnosis),
            key=lambda p: hashlib.sha256(f"{SPLIT_SEED}:{p}".encode()).hexdigest(),
        )
        n_test = round(len(ordered) * TEST_FRACTION)
        n_val = round(len(ordered) * VAL_FRACTION)
        for position, patient in enumerate(ordered):
            split_of[patient] = (
                "test" if position < n_test else "val" if position < n_test + n_val else "train"
            )
    return split_of


def read_manifest(path: Path | None = None) -> list[DeepAplCell]:
    """Every cell of the discovery manifest with its bcds label (None: outside the taxonomy) and split."""
    with open(path or manifest_path(), newline="") as handle:
        records = list(csv.DictReader(handle))
    split_of = patient_splits({r["patient"]: r["diagnosis"] for r in records})
    return [
        DeepAplCell(
            r["path"],
            r["blob"],
            r["patient"],
            r["diagnosis"],
            r["cellavision_class"],
            CELLAVISION_TO_LABEL.get(r["cellavision_class"]),
            split_of[r["patient"]],
        )
        for r in records
    ]


def extract_images(mirror: Path, cells: list[DeepAplCell], out_dir: Path) -> Counter:
    """Write each manifest blob from the git mirror to ``out_dir/<blob>.jpg``.

    ``git cat-file --batch`` reads objects by id, so each file's content is the
    blob the manifest names (git addresses objects by their hash) and nothing
    outside the manifest, the validation cohort included, is read.

    Returns:
        Counts of ``written``, ``present`` (already there) and ``missing`` blobs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter = Counter()
    wanted = [c.blob for c in cells if not (out_dir / c.file_name).exists()]
    counts["present"] = len(cells) - len(wanted)
    if not wanted:
        return counts
    process = subprocess.run(
        ["git", f"--git-dir={mirror}", "cat-file", "--batch"],
        input="\n".join(wanted).encode() + b"\n",
        capture_output=True,
        check=True,
    )
    stream, position = process.stdout, 0
    for blob in wanted:
        end = stream.index(b"\n", position)
        header = stream[position:end].decode().split()
        position = end + 1
        if header[-1] == "missing":
            counts["missing"] += 1
            continue
        size = int(header[2])
        (out_dir / f"{blob}.jpg").write_bytes(stream[position : position + size])
        position += size + 1
        counts["written"] += 1
    return counts


def split_rows(cells: list[DeepAplCell], image_root: Path) -> list[SplitRow]:
    """The labelled cells as split rows (path ``<blob>.jpg`` under ``image_root``), one per distinct image.

    A blob listed twice keeps its first entry; a file that does not decode
    (a few are truncated in the repository) is left out. The width, height and
    sha256 are read from the extracted file.
    """
    rows, seen = [], set()
    for cell in cells:
        if cell.label is None or cell.blob in seen:
            continue
        seen.add(cell.blob)
        data = (image_root / cell.file_name).read_bytes()
        try:
            height, width = decode_image(data).rgb.shape[:2]
        except ImageDecodeError:
            continue
        rows.append(
            SplitRow(
                cell.file_name,
                FINE_TO_GROUP[cell.label],
                cell.label,
                width,
                height,
                hashlib.sha256(data).hexdigest(),
                cell.split,
            )
        )
    return rows
