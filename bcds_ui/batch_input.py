"""The classify page's input, kept for the session: the uploaded batch or one shipped sample.

Streamlit drops a widget's value when its page is left, and a file uploader
cannot be given its files back. So the uploads are copied, as (name, bytes),
into ``BATCH_KEY``, which is not a widget key and survives a visit to another
page; the uploader only replaces that copy when the user changes its files.
A zip upload adds the images inside it (``lab_archive.archive_images``), and a
name met twice gets a number, so that every cell of the batch has its own name
for its widgets and its corrections. The other inputs keep their values with
``persist_state="session"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import streamlit as st

from bcds_core.lab_archive import ArchiveError, archive_images
from bcds_core.paths import SAMPLES_DIR
from bcds_core.taxonomy import NORMAL_FINE_CLASSES, display_name

#: Session-state key of the kept uploads: a list of (file name, bytes), in upload order.
BATCH_KEY = "classify_batch"
UPLOAD_KEY = "classify_upload"
#: Session-state key of what could not be taken from the last upload (zips that cannot be read).
UPLOAD_PROBLEMS_KEY = "classify_upload_problems"
#: Images one batch may hold: a 200-cell differential twice over, and well within the shared result
#: cache (``result_cache.APP_RESULT_BYTES``), so that a rerun finds every answer there.
MAX_BATCH_IMAGES = 400


@dataclass(frozen=True)
class Batch:
    """The images to answer, and whether they are the user's own (not shipped PBC samples)."""

    items: list[tuple[str, bytes]]
    own: bool


def keep_uploads() -> None:
    """Copy the uploader's files into the session, a zip's images in its place (called when the user
    changes them)."""
    items, problems = [], []
    for upload in st.session_state.get(UPLOAD_KEY) or []:
        if len(items) > MAX_BATCH_IMAGES:  # full: the other uploads are not unpacked at all
            break
        if not upload.name.lower().endswith(".zip"):
            items.append((upload.name, upload.getvalue()))
            continue
        try:
            images, unread = archive_images(upload.getvalue())
        except ArchiveError as error:
            problems.append(f"{upload.name}: {error}")
            continue
        items += images
        problems += [f"{upload.name}: {name} {why}." for name, why in unread]
        if not images and not unread:
            problems.append(f"{upload.name}: no image (JPEG, PNG, BMP, TIFF, GIF, WebP) in the archive.")
    if len(items) > MAX_BATCH_IMAGES:
        problems.append(
            f"More than {MAX_BATCH_IMAGES} images uploaded; the first {MAX_BATCH_IMAGES} are analysed. "
            "Split a larger sample into batches."
        )
    st.session_state[BATCH_KEY] = with_unique_names(items[:MAX_BATCH_IMAGES])
    st.session_state[UPLOAD_PROBLEMS_KEY] = problems


def with_unique_names(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The items with a number added to a name met before ("cell.jpg", "cell (2).jpg")."""
    seen, renamed = set(), []
    for name, data in items:
        unique, copy = name, 1
        while unique in seen:
            copy += 1
            path = PurePosixPath(name)
            unique = str(path.with_name(f"{path.stem} ({copy}){path.suffix}"))
        seen.add(unique)
        renamed.append((unique, data))
    return renamed


def clear_batch() -> None:
    st.session_state[BATCH_KEY] = []
    st.session_state[UPLOAD_PROBLEMS_KEY] = []


def sample_picker() -> list[tuple[str, bytes]]:
    """One click on a class name loads a shipped sample of that class."""
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    by_label = {
        label: [p for p in samples if p.name.startswith(label + "_")] for label in NORMAL_FINE_CLASSES
    }
    st.write("Or try a sample (PBC test-split images):")
    chosen = st.pills(
        "Sample",
        [lab for lab in NORMAL_FINE_CLASSES if by_label[lab]],
        format_func=display_name,
        key="classify_sample",
        label_visibility="collapsed",
        persist_state="session",
    )
    return [(by_label[chosen][0].name, by_label[chosen][0].read_bytes())] if chosen else []


def batch_input(fields_mode: bool) -> Batch:
    """The uploader, and the batch it holds now or held when the user last left the page."""
    uploads = st.file_uploader(
        "Cell images (JPEG, PNG, BMP, TIFF), or a zip of them",
        accept_multiple_files=True,
        key=UPLOAD_KEY,
        on_change=keep_uploads,
    )
    for problem in st.session_state.get(UPLOAD_PROBLEMS_KEY) or []:
        st.error(problem)
    kept = st.session_state.get(BATCH_KEY) or []
    if kept and not uploads:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.caption(f"Showing the {len(kept)} images you uploaded before; a new upload replaces them.")
        right.button("Clear", key="classify_clear", on_click=clear_batch)
    if kept:
        return Batch(kept, own=True)
    return Batch([] if fields_mode else sample_picker(), own=False)
