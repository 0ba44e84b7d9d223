"""The review of a batch: its gallery, sample ID, comments, sign-off, export and import.

The ``SampleReview`` in session state (under ``REVIEWS_KEY``, not a widget
key) is what counts: every widget here is seeded from it on each run and
writes back through its ``on_change`` callback. So a visit to another page,
which drops widget values, loses nothing, and an imported review shows at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.sample_review import SampleReview
from bcds_ui.review_gallery import gallery_by_class

#: Session-state key of this session's reviews: batch key -> (the batch's files as "name\tcontent key", its review).
REVIEWS_KEY = "sample_reviews"
#: Session-state key of the last import's outcome: (ok, message), shown once.
IMPORT_NOTE_KEY = "review_import_note"


def batch_review(results: list[CellResult]) -> SampleReview:
    """This session's review of this batch, kept while the session lives.

    Keyed by the set of the files' names and contents: another sample whose files bear the same
    names (a camera's IMG_0001...) must not inherit this one's corrections and sign-off, while the
    same files uploaded in another order are the same sample. A batch that adds files to a reviewed
    one, takes some out or swaps a few continues its review (``continued_review``): adding a file
    had started the review anew, and removing a damaged one lost every correction and the sign-off.
    """
    entries = [f"{r.file}\t{r.content_key}" for r in results]
    files = frozenset(entries)
    key = hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16]
    reviews = st.session_state.setdefault(REVIEWS_KEY, {})
    if key not in reviews:
        reviews[key] = (files, continued_review(reviews, files))
    return reviews[key][1]


def continued_review(reviews: dict, files: frozenset[str]) -> SampleReview:
    """The review of the batch that shares most files with ``files`` (at least half of the smaller
    of the two: the same sample, grown, shrunk or with a few files swapped), taken over with the
    changes as amendments; a new review where no batch does. The batch taken over leaves
    ``reviews``, so that going back to its files continues the latest review, not an older copy."""
    shared = {key: len(kept & files) for key, (kept, _) in reviews.items()}
    same_sample = [k for k, n in shared.items() if n and 2 * n >= min(len(reviews[k][0]), len(files))]
    if not same_sample:
        return SampleReview()
    kept, review = reviews.pop(max(same_sample, key=lambda k: (shared[k], k)))
    added = sorted(entry.rsplit("\t", 1)[0] for entry in files - kept)
    removed = sorted(entry.rsplit("\t", 1)[0] for entry in kept - files)
    return review.continued_with(added, removed, st.session_state.get("review_reviewer", ""))


def review_text(widget, label: str, review: SampleReview, field: str) -> None:
    """A text widget that shows and edits ``review.<field>`` (an edit after sign-off is an amendment)."""
    key = f"review_{field}"
    st.session_state[key] = getattr(review, field)
    widget(
        label,
        key=key,
        on_change=lambda: review.edit(
            field, st.session_state[key], st.session_state.get("review_reviewer", "")
        ),
    )


def import_review(review: SampleReview, files: list[tuple[str, str]]) -> None:
    """Replace the review by an uploaded export of this batch's files, once, when the file is chosen."""
    imported = st.session_state.get("review_import")
    if imported is None:
        return
    try:
        loaded = SampleReview.from_json(imported.getvalue().decode("utf-8", "replace"), files)
    except ValueError as error:
        st.session_state[IMPORT_NOTE_KEY] = (False, str(error))
        return
    review.__dict__.update(loaded.__dict__)
    st.session_state[IMPORT_NOTE_KEY] = (
        True,
        f"Continued the review of sample {loaded.sample_id} ({len(loaded.corrections)} corrections).",
    )


def sign_off_and_export(results: list[CellResult], review: SampleReview) -> None:
    """Sample ID, comments, sign-off; the reviewed sample as JSON and CSV, and a JSON to continue from."""
    review_text(st.text_input, "Sample ID (not a patient's name)", review, "sample_id")
    review_text(st.text_area, "Comments", review, "comments")
    reviewer = st.session_state.get("review_reviewer", "")
    if review.signed_by and not review.stale_note():
        st.success(f"Signed off by {review.signed_by} at {review.signed_at}.")
    else:
        st.button(
            "Sign again" if review.signed_by else "Sign off",
            key="review_sign",
            disabled=not reviewer,
            # the name as it is at the click: a name typed since the last run is the signer
            on_click=lambda: review.sign(st.session_state.get("review_reviewer") or reviewer),
        )
    left, right = st.columns(2)
    left.download_button(
        "Export (JSON)",
        review.to_json(results, [r.content_key for r in results]),
        f"{review.sample_id}.json",
        key="review_json",
    )
    right.download_button("Export (CSV)", review.to_csv(results), f"{review.sample_id}.csv", key="review_csv")
    st.file_uploader(
        "Continue a saved review (JSON)",
        type="json",
        key="review_import",
        on_change=import_review,
        args=(review, [(r.file, r.content_key) for r in results]),
    )
    if note := st.session_state.pop(IMPORT_NOTE_KEY, None):
        (st.success if note[0] else st.error)(note[1])


def review_panel(results: list[CellResult], show_cell: Callable[[int], None], read_with: str) -> SampleReview:
    """The review section of a batch; returns its review (``review.reviewed(results)`` is what counts).

    Each upload is known by its name and its content (``CellResult.content_key``); ``show_cell(i)`` draws the view of
    ``results[i]`` when it is opened in the gallery; ``read_with`` says what the answers were read
    with (pixel size, lab profile). A sign-off that a later change outdated, reading the answers
    otherwise included, is announced above the gallery, where changes are made.
    """
    st.subheader("Review")
    review = batch_review(results)
    st.text_input("Your name (kept with each change)", key="review_reviewer", persist_state="session")
    review.note_reading(read_with, st.session_state.get("review_reviewer", ""))
    if note := review.stale_note():
        st.warning(note, icon=":material/history:")
    st.caption(
        "Click a cell's thumbnail, or the button under it, to open the cell; its view opens under its row."
    )
    gallery_by_class(results, review, show_cell)
    sign_off_and_export(results, review)
    return review
