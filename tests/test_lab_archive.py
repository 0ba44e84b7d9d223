"""Zip uploads: the cells and profiles in them are read in memory, and a bad archive gets a clear error."""

import io
import zipfile

import numpy as np
import pytest

from bcds_core import lab_archive
from bcds_core.lab_archive import (
    ArchiveError,
    archive_images,
    labelled_cells,
    profile_archive,
    profile_from_archive,
)
from bcds_core.lab_profile import GroupHead, LabProfile, ProfileError
from bcds_core.taxonomy import GROUPS


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_cells_come_from_group_folders_and_a_macs_metadata_and_other_files_are_left_out():
    data = zipped(
        {
            "lab/lymphocyte/a.jpg": b"A",
            "lab/blast/b.png": b"B",
            "lab/unlabelled/c.jpg": b"C",
            "lab/notes/d.jpg": b"D",
            "lab/lymphocyte/readme.txt": b"E",
            "__MACOSX/lab/lymphocyte/._a.jpg": b"F",
            "lab/lymphocyte/._a.jpg": b"G",
            "../../lymphocyte/up.jpg": b"H",
        }
    )
    assert labelled_cells(data) == [
        ("a.jpg", b"A", "lymphocyte"),
        ("b.png", b"B", "blast"),
        ("c.jpg", b"C", None),
        ("up.jpg", b"H", "lymphocyte"),
    ]
    assert [name for name, _ in archive_images(data)[0]] == [
        "lab/lymphocyte/a.jpg",
        "lab/blast/b.png",
        "lab/unlabelled/c.jpg",
        "lab/notes/d.jpg",
        "../../lymphocyte/up.jpg",
    ]


def test_an_archive_without_labelled_cells_or_not_a_zip_is_refused_in_words():
    with pytest.raises(ArchiveError, match="folders named"):
        labelled_cells(zipped({"unlabelled/a.jpg": b"A"}))
    with pytest.raises(ArchiveError, match="not a zip"):
        labelled_cells(b"PK but not really a zip")


def test_an_archive_that_unpacks_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(lab_archive, "MAX_ARCHIVE_BYTES", 1000)
    entries = {f"neutrophil/{i}.jpg": bytes(400) for i in range(3)}
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        archive_images(zipped(entries))
    monkeypatch.setattr(lab_archive, "MAX_ENTRIES", 2)
    with pytest.raises(ArchiveError, match="at most 2"):
        archive_images(zipped(entries))


def test_an_entry_too_large_to_read_is_named_and_a_labelled_one_counted_as_unread(monkeypatch):
    monkeypatch.setattr(lab_archive, "MAX_ENTRY_BYTES", 100)
    data = zipped({"neutrophil/small.jpg": b"x" * 50, "neutrophil/huge.tif": b"x" * 500})
    images, unread = archive_images(data)
    assert images == [("neutrophil/small.jpg", b"x" * 50)]
    assert [name for name, _ in unread] == ["neutrophil/huge.tif"] and "larger than the limit" in unread[0][1]
    assert labelled_cells(data) == [("small.jpg", b"x" * 50, "neutrophil"), ("huge.tif", b"", "neutrophil")]


def test_an_encrypted_or_damaged_entry_is_named_and_the_others_kept():
    """One damaged entry had refused the whole archive: a lab's 3 good cells went with it."""
    encrypted = bytearray(zipped({"lymphocyte/a.jpg": b"x" * 100, "lymphocyte/b.jpg": b"B"}))
    # Set the "encrypted" bit of the first entry in the local and the central header, as an encrypting zip tool does.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.index(signature) + offset
        encrypted[at] |= 0x1
    assert archive_images(bytes(encrypted)) == (
        [("lymphocyte/b.jpg", b"B")],
        [("lymphocyte/a.jpg", "cannot be read: it is encrypted or damaged")],
    )
    damaged = bytearray(zipped({"lymphocyte/a.jpg": bytes(range(256)) * 40, "lymphocyte/b.jpg": b"B"}))
    header = damaged.index(b"PK\x03\x04")
    start = header + 30 + len("lymphocyte/a.jpg")
    damaged[start + 10 : start + 40] = bytes(30)
    images, unread = archive_images(bytes(damaged))
    assert images == [("lymphocyte/b.jpg", b"B")] and [name for name, _ in unread] == ["lymphocyte/a.jpg"]
    assert labelled_cells(bytes(damaged)) == [("b.jpg", b"B", "lymphocyte"), ("a.jpg", b"", "lymphocyte")]


def test_a_zip_that_zipfile_refuses_with_another_error_is_refused_in_words():
    """A zip of a newer version raised NotImplementedError, and an entry name in a Windows code page
    flagged as UTF-8 UnicodeDecodeError: both were tracebacks that lost the batch's other uploads."""
    newer = bytearray(zipped({"lymphocyte/a.jpg": b"A"}))
    newer[newer.rindex(b"PK\x01\x02") + 6] = 64  # version needed to extract: 6.4
    with pytest.raises(ArchiveError, match="zip file version 6.4"):
        archive_images(bytes(newer))
    named = zipped({"lymphocyte/caf\u00e9.jpg": b"A"})
    legacy = named.replace("caf\u00e9".encode(), "caf\u00e9".encode("cp1252") + b"_")
    with pytest.raises(ArchiveError, match="damaged or of a kind"):
        archive_images(legacy)


def test_a_downloaded_profile_loads_again_with_its_head_and_batchnorm_statistics():
    head = GroupHead(
        ["lymphocyte", "neutrophil"],
        np.zeros(4, np.float32),
        np.eye(2, 4, dtype=np.float32),
        np.ones((1, 2 + len(GROUPS)), np.float32),
        np.zeros(1, np.float32),
    )
    statistics = {"network.bn1.running_mean": np.arange(4, dtype=np.float32)}
    profile = LabProfile("sha", 0.09, 40.0, head, {"n": 12}, statistics)
    loaded = profile_from_archive(profile_archive(profile), "sha")
    assert loaded.head.groups == head.groups and np.array_equal(loaded.head.coef, head.coef)
    assert np.array_equal(
        loaded.batchnorm["network.bn1.running_mean"], statistics["network.bn1.running_mean"]
    )
    assert loaded.batchnorm_key == profile.batchnorm_key and loaded.pixel_size_um == 0.09
    with pytest.raises(ProfileError, match="another classifier"):
        profile_from_archive(profile_archive(profile), "other sha")
    with pytest.raises(ProfileError, match="not a zip"):
        profile_from_archive(b"not a zip", "sha")


def test_group_folders_are_read_in_any_case_and_in_the_plural_in_a_zip_and_a_folder(tmp_path):
    from bcds_core.adapt import folder_group, lab_images

    assert [folder_group(n) for n in ("Neutrophils", "IG", "Unlabelled", "blasts", "notes")] == [
        "neutrophil",
        "ig",
        "unlabelled",
        "blast",
        None,
    ]
    data = zipped({"Neutrophils/a.jpg": b"A", "Lymphocyte/b.jpg": b"B"})
    assert labelled_cells(data) == [("a.jpg", b"A", "neutrophil"), ("b.jpg", b"B", "lymphocyte")]
    for name in ("Neutrophils/a.jpg", "Neutrophils/._a.jpg", "Neutrophils/b.webp", "notes/c.jpg"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [(p.name, g) for p, g in lab_images(tmp_path)]
    assert found == [
        ("a.jpg", "neutrophil"),
        ("b.webp", "neutrophil"),
    ]  # no Mac metadata; WebP as predict reads it
