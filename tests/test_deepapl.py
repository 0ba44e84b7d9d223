"""The DeepAPL discovery cohort: labels, a split by patient, extraction by blob id."""

import subprocess
from collections import defaultdict

import pytest

from bcds_core.deepapl import CELLAVISION_TO_LABEL, DeepAplCell, extract_images, manifest_path, read_manifest
from bcds_core.splits import read_split_csv
from bcds_core.taxonomy import FINE_CLASSES

needs_manifest = pytest.mark.skipif(
    not manifest_path().exists(), reason="no DeepAPL manifest in the shared data"
)


def test_every_mapped_class_is_in_the_taxonomy():
    assert set(CELLAVISION_TO_LABEL.values()) <= set(FINE_CLASSES)


@needs_manifest
def test_patients_never_straddle_splits_and_both_diagnoses_are_in_each():
    cells = read_manifest()
    splits_of = defaultdict(set)
    for cell in cells:
        splits_of[cell.patient].add(cell.split)
    assert all(len(s) == 1 for s in splits_of.values())
    for split in ("train", "val", "test"):
        assert {c.diagnosis for c in cells if c.split == split} == {"AML", "APL"}


@needs_manifest
def test_the_committed_split_rows_follow_the_patient_split():
    from bcds_core.deepapl import SPLIT_CSV

    split_of_blob = {c.blob: c.split for c in read_manifest()}
    rows = read_split_csv(SPLIT_CSV)
    assert rows and all(split_of_blob[row.path.removesuffix(".jpg")] == row.split for row in rows)


def test_extraction_reads_only_listed_blobs_and_reports_missing_ones(tmp_path):
    repo = tmp_path / "mirror"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    blob = (
        subprocess.run(
            ["git", f"--git-dir={repo}", "hash-object", "-w", "--stdin"],
            input=b"jpeg bytes",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    absent = "0" * 40
    listed = [DeepAplCell(f"{b}.jpg", b, "P1", "AML", "Lymphocyte", "LY", "train") for b in (blob, absent)]
    counts = extract_images(repo, listed, tmp_path / "out")
    assert counts["written"] == 1 and counts["missing"] == 1
    assert (tmp_path / "out" / f"{blob}.jpg").read_bytes() == b"jpeg bytes"
