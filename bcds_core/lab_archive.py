"""Zip archives of a lab's labelled cells and of lab profiles, read in memory and never extracted.

An upload is untrusted: only entries named ``<group>/<image>`` (or ``unlabelled/<image>``)
with an image extension are read, at most ``MAX_ENTRIES`` of them and at most
``MAX_ENTRY_BYTES`` each (the image limit), so an archive bomb or a path such
as ``../../x`` reads nothing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from bcds_core.adapt import UNLABELLED
from bcds_core.dataset_index import IMAGE_SUFFIXES
from bcds_core.image_io import MAX_FILE_BYTES
from bcds_core.lab_profile import HEAD_FILE, PROFILE_FILE, LabProfile, ProfileError
from bcds_core.taxonomy import GROUPS

MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = MAX_FILE_BYTES


class ArchiveError(ValueError):
    """The upload is not a zip archive bcds can read; the message says why."""


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError("This file is not a zip archive.") from error


def labelled_cells(data: bytes) -> list[tuple[str, bytes, str | None]]:
    """(name, bytes, group or None) of the cell images in a zip of ``<group>/<image>`` folders.

    Raises:
        ArchiveError: not a zip, too many entries, or no image in a group folder.
    """
    archive = _open(data)
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_ENTRIES:
        raise ArchiveError(f"The archive holds {len(entries)} files; at most {MAX_ENTRIES} are read.")
    cells = []
    for entry in entries:
        path = PurePosixPath(entry.filename)
        folder = path.parent.name
        if path.suffix.lower() not in IMAGE_SUFFIXES or (folder not in GROUPS and folder != UNLABELLED):
            continue
        if entry.file_size > MAX_ENTRY_BYTES:
            continue
        with archive.open(entry) as handle:
            content = handle.read(MAX_ENTRY_BYTES + 1)
        if len(content) <= MAX_ENTRY_BYTES:
            cells.append((path.name, content, None if folder == UNLABELLED else folder))
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
    except ArchiveError as error:
        raise ProfileError(str(error)) from error
    files = {}
    for name in (PROFILE_FILE, HEAD_FILE):
        if name in archive.namelist() and archive.getinfo(name).file_size <= MAX_ENTRY_BYTES:
            files[name] = archive.read(name)
    return LabProfile.from_files(files, classifier_sha256)
