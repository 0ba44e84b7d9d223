"""Zip archives of cell images, of a lab's labelled cells and of lab profiles, read in memory and never
extracted.

An upload is untrusted: only entries with an image extension are read, at most
``MAX_ENTRIES`` of them, at most ``MAX_ENTRY_BYTES`` each (the image limit) and
``MAX_ARCHIVE_BYTES`` together, so an archive bomb or a path such as ``../../x``
reads nothing and nothing is written. The metadata a Mac adds to the zips it
makes (``__MACOSX/``, ``._name``) is not a cell. An encrypted or damaged image
entry is named and skipped, so it never costs the archive its other cells; an
archive that cannot be opened at all is an ``ArchiveError``, not a traceback.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePosixPath

from bcds_core.adapt import UNLABELLED, folder_group
from bcds_core.dataset_index import IMAGE_SUFFIXES, mac_metadata
from bcds_core.image_io import MAX_FILE_BYTES
from bcds_core.lab_profile import BATCHNORM_FILE, HEAD_FILE, PROFILE_FILE, LabProfile, ProfileError
from bcds_core.taxonomy import GROUPS

MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = MAX_FILE_BYTES
#: Bytes all entries read from one archive may hold together: 2,000 CellaVision cells take 40 MB.
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
#: Why an entry is not read when it is encrypted or damaged.
DAMAGED = "cannot be read: it is encrypted or damaged"
#: What opening a damaged archive or reading an encrypted or damaged entry raises (ValueError: a name
#: in another code page, a negative seek).
UNREADABLE_ENTRY = (
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
)


class ArchiveError(ValueError):
    """The upload is not a zip archive bcds can read; the message says why."""


def _open(data: bytes) -> zipfile.ZipFile:
    """The archive, its directory read. ``zipfile`` refuses damaged or unusual archives with more
    than ``BadZipFile`` (a negative seek's ValueError, a Windows code page's UnicodeDecodeError)."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError("This file is not a zip archive.") from error
    except UNREADABLE_ENTRY as error:
        raise ArchiveError(f"This zip archive is damaged or of a kind bcds cannot read ({error}).") from error


def archive_images(data: bytes) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """(path in the archive, bytes) of every image entry of a zip, in archive order, and (path, why)
    of the image entries that could not be read: over ``MAX_ENTRY_BYTES`` (never read), encrypted
    or damaged. Those must not vanish unsaid, nor cost the archive its other images.

    Raises:
        ArchiveError: not a zip, too many entries or more than ``MAX_ARCHIVE_BYTES`` unpacked.
    """
    archive = _open(data)
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_ENTRIES:
        raise ArchiveError(f"The archive holds {len(entries)} files; at most {MAX_ENTRIES} are read.")
    images, unread, total = [], [], 0
    too_large = f"is larger than the limit of {MAX_ENTRY_BYTES / 1e6:.0f} MB, not read"
    for entry in entries:
        path = PurePosixPath(entry.filename)
        if path.suffix.lower() not in IMAGE_SUFFIXES or mac_metadata(path):
            continue
        # the declared size first, so a large entry is never read; then the bytes, which may exceed it
        if entry.file_size > MAX_ENTRY_BYTES:
            unread.append((entry.filename, too_large))
            continue
        try:
            content = _entry_bytes(archive, entry)
        except ArchiveError:
            unread.append((entry.filename, DAMAGED))
            continue
        if len(content) > MAX_ENTRY_BYTES:
            unread.append((entry.filename, too_large))
            continue
        total += len(content)
        if total > MAX_ARCHIVE_BYTES:
            raise ArchiveError(f"The archive unpacks to more than {MAX_ARCHIVE_BYTES // 2**20} MB of images.")
        images.append((entry.filename, content))
    return images, unread


def _entry_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo | str) -> bytes:
    """At most ``MAX_ENTRY_BYTES`` + 1 bytes of an entry (one more says it is too large).

    Raises:
        ArchiveError: the entry is encrypted or damaged.
    """
    try:
        with archive.open(entry) as handle:
            return handle.read(MAX_ENTRY_BYTES + 1)
    except UNREADABLE_ENTRY as error:
        name = PurePosixPath(getattr(entry, "filename", entry)).name
        raise ArchiveError(f"{name} in the archive {DAMAGED}.") from error


def labelled_cells(data: bytes) -> list[tuple[str, bytes, str | None]]:
    """(name, bytes, group or None) of the cell images in a zip of ``<group>/<image>`` folders
    (named as ``adapt.folder_group`` reads them).

    Raises:
        ArchiveError: as ``archive_images``, or no image in a group folder.
    """
    cells = []
    images, unread = archive_images(data)
    # an entry that could not be read comes with no bytes: counted as a labelled cell that could not be read
    for name, content in images + [(name, b"") for name, _ in unread]:
        path = PurePosixPath(name)
        if (named := folder_group(path.parent.name)) is not None:
            cells.append((path.name, content, None if named == UNLABELLED else named))
    if not any(group for _, _, group in cells):
        raise ArchiveError(
            f"No labelled cell in the archive: put images in folders named {', '.join(GROUPS)}."
        )
    return cells


def profile_archive(profile: LabProfile) -> bytes:
    """A lab profile as one zip file, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in profile.files().items():
            archive.writestr(name, content)
    return buffer.getvalue()


def profile_from_archive(data: bytes, classifier_sha256: str) -> LabProfile:
    """A lab profile from its zip (as ``profile_archive`` writes it), checked.

    Raises:
        ProfileError: not a zip, or not a usable profile.
    """
    try:
        archive = _open(data)
        files = {
            name: _entry_bytes(archive, name)
            for name in (PROFILE_FILE, HEAD_FILE, BATCHNORM_FILE)
            if name in archive.namelist() and archive.getinfo(name).file_size <= MAX_ENTRY_BYTES
        }
    except ArchiveError as error:
        raise ProfileError(str(error)) from error
    return LabProfile.from_files(files, classifier_sha256)
