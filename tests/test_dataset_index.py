from pathlib import Path

import numpy as np
from PIL import Image

from bcds_core.dataset_index import find_duplicates, index_folder


def _write_jpeg(path: Path, colour) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((40, 50, 3), colour, np.uint8)).save(path)


def test_index_reports_broken_and_foreign_files_and_keeps_going(tmp_path):
    _write_jpeg(tmp_path / "neutrophil" / "SNE_1.jpg", (200, 100, 100))
    _write_jpeg(tmp_path / "neutrophil" / "NEUTROPHIL_2.jpg", (10, 100, 100))
    _write_jpeg(tmp_path / "ig" / "MY_3.jpg", (10, 10, 100))
    (tmp_path / "neutrophil" / "BNE_4.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "neutrophil" / ".DS_5.jpg").write_bytes(b"\x00\x01")
    (tmp_path / "neutrophil" / "notes.txt").write_text("hello")
    _write_jpeg(tmp_path / "ig" / "SNE_6.jpg", (1, 2, 3))
    _write_jpeg(tmp_path / "unknown" / "LY_7.jpg", (1, 2, 3))
    _write_jpeg(tmp_path / "eosinophil" / "BloodImage_00009_1.jpg", (200, 50, 50))
    bomb = Image.new("1", (8000, 8000))
    bomb.save(tmp_path / "neutrophil" / "SNE_8.png")

    images, skipped = index_folder(tmp_path)

    by_path = {i.path: i for i in images}
    assert set(by_path) == {
        "neutrophil/SNE_1.jpg",
        "neutrophil/NEUTROPHIL_2.jpg",
        "ig/MY_3.jpg",
        "eosinophil/BloodImage_00009_1.jpg",
    }
    other_lab = by_path["eosinophil/BloodImage_00009_1.jpg"]
    assert other_lab.group == "eosinophil" and other_lab.label is None
    assert by_path["neutrophil/NEUTROPHIL_2.jpg"].label is None
    assert by_path["ig/MY_3.jpg"].group == "ig" and by_path["ig/MY_3.jpg"].label == "MY"
    assert (by_path["neutrophil/SNE_1.jpg"].width, by_path["neutrophil/SNE_1.jpg"].height) == (50, 40)
    reasons = {s.path: s.reason for s in skipped}
    assert "not a readable image" in reasons["neutrophil/BNE_4.jpg"]
    assert "not a readable image" in reasons["neutrophil/.DS_5.jpg"]
    assert "possible bomb" in reasons["neutrophil/SNE_8.png"]
    assert "extension" in reasons["neutrophil/notes.txt"]
    assert "does not belong" in reasons["ig/SNE_6.jpg"]
    assert "not a group of the taxonomy" in reasons["unknown/LY_7.jpg"]


def test_duplicates_are_found_by_content(tmp_path):
    _write_jpeg(tmp_path / "basophil" / "BA_1.jpg", (5, 5, 5))
    (tmp_path / "basophil" / "BA_2.jpg").write_bytes((tmp_path / "basophil" / "BA_1.jpg").read_bytes())
    _write_jpeg(tmp_path / "basophil" / "BA_3.jpg", (9, 9, 9))
    images, _ = index_folder(tmp_path)
    duplicates = find_duplicates(images)
    assert [[i.path for i in group] for group in duplicates] == [["basophil/BA_1.jpg", "basophil/BA_2.jpg"]]


def test_a_file_that_cannot_be_read_is_skipped_with_its_reason(tmp_path, monkeypatch):
    """Root reads any file whatever its mode: the refusal is imitated."""
    import builtins

    (tmp_path / "lymphocyte").mkdir()
    locked = tmp_path / "lymphocyte" / "LY_1.jpg"
    locked.write_bytes(b"x")
    opened = builtins.open

    def refuse(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    images, skipped = index_folder(tmp_path)
    assert images == [] and skipped[0].reason == "Cannot open the file: Permission denied."


def test_a_file_over_the_size_limit_is_skipped_as_such(tmp_path):
    """A 120 MB file was read whole before it was found not to be an image."""
    from bcds_core.image_io import MAX_FILE_BYTES

    (tmp_path / "neutrophil").mkdir()
    with open(tmp_path / "neutrophil" / "SNE_big.jpg", "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    images, skipped = index_folder(tmp_path)
    assert images == [] and "larger than the limit" in skipped[0].reason


def test_a_labs_folders_are_read_in_any_case_and_plural_as_adapt_reads_them(tmp_path):
    """``adapt`` took "Neutrophils/"; ``evaluate`` said only "no labelled images found" of the same folder."""
    _write_jpeg(tmp_path / "Neutrophils" / "cell 1.jpg", (200, 100, 150))
    _write_jpeg(tmp_path / "lymphocyte" / "cell 2.jpg", (150, 100, 200))
    _write_jpeg(tmp_path / "cats" / "cell 3.jpg", (150, 100, 200))
    images, skipped = index_folder(tmp_path)
    assert [(i.path, i.group) for i in images] == [
        ("Neutrophils/cell 1.jpg", "neutrophil"),
        ("lymphocyte/cell 2.jpg", "lymphocyte"),
    ]
    assert [s.reason for s in skipped] == ["folder 'cats' is not a group of the taxonomy"]
