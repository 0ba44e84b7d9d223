"""The review of a batch: a gallery per answered class, reclassification, comments, sign-off, export and import.

The ``SampleReview`` in session state (under ``REVIEWS_KEY``, not a widget
key) is what counts: every widget here is seeded from it on each run and
writes back through its ``on_change`` callback. So a visit to another page,
which drops widget values, loses nothing, and an imported review shows at once.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.report import thumbnail
from bcds_core.sample_review import OUT_OF_COUNT, RECLASSIFY_CHOICES, SampleReview
from bcds_core.taxonomy import GROUPS, display_name

COLUMNS = 6
#: Session-state key of this session's reviews, one per batch (keyed by the batch's file names).
REVIEWS_KEY = "sample_reviews"
#: Session-state key of the last import's outcome: (ok, message), shown once.
IMPORT_NOTE_KEY = "review_import_note"
BIN_NAMES = {"review": "To review", "rejected": "Rejected (not counted)"}


def choice_name(label: str) -> str:
    return OUT_OF_COUNT[label].capitalize() if label in OUT_OF_COUNT else display_name(label)


def batch_review(results: list[CellResult]) -> SampleReview:
    """This session's review of this batch (kept while the session lives, keyed by the batch's files)."""
    key = hashlib.sha256("\n".join(r.file for r in results).encode()).hexdigest()[:16]
    reviews = st.session_state.setdefault(REVIEWS_KEY, {})
    return reviews.setdefault(key, SampleReview())


def gallery_by_class(results: list[CellResult], review: SampleReview) -> None:
    """Thumbnails in one bin per answered group (review and rejected in their own), each reclassifiable."""
    bins = {g: [r for r in results if r.group == g and r.status == "ok"] for g in GROUPS}
    bins["review"] = [r for r in results if r.status == "review"]
    bins["rejected"] = [r for r in results if r.status == "rejected"]
    for name, members in bins.items():
        if not members:
            continue
        title = f"{BIN_NAMES.get(name) or display_name(name)} ({len(members)})"
        with st.expander(title, expanded=name == "review"):
            columns = st.columns(COLUMNS)
            for i, result in enumerate(members):
                column = columns[i % COLUMNS]
                if result.rgb is not None and result.status != "rejected":
                    column.image(thumbnail(result), width=96)
                    reclassify(column, result, review)
                column.caption(f"{result.file}: {result.message}" if result.status != "ok" else result.file)


def reclassify(column, result: CellResult, review: SampleReview) -> None:
    """A select box showing the cell's label as reviewed; a change is recorded with who and when."""
    key = f"review_label_{hashlib.sha256(result.file.encode()).hexdigest()[:12]}"
    current = review.corrections.get(result.file)
    label = current.label if current else result.label
    st.session_state[key] = label if label in RECLASSIFY_CHOICES else None

    def record() -> None:
        if st.session_state[key] is not None:
            review.correct(result.file, st.session_state[key], st.session_state.get("review_reviewer", ""))

    column.selectbox(
        f"Class of {result.file}",
        RECLASSIFY_CHOICES,
        format_func=choice_name,
        key=key,
        on_change=record,
        placeholder="Choose a class",
        label_visibility="collapsed",
    )
    if current:
        column.caption(f"model: {display_name(result.label or '-')}; {current.by}, {current.at}")


def review_text(widget, label: str, review: SampleReview, field: str) -> None:
    """A text widget that shows and edits ``review.<field>``."""
    key = f"review_{field}"
    st.session_state[key] = getattr(review, field)
    widget(label, key=key, on_change=lambda: setattr(review, field, st.session_state[key]))


def import_review(review: SampleReview) -> None:
    """Replace the review by an uploaded export, once, when the file is chosen."""
    imported = st.session_state.get("review_import")
    if imported is None:
        return
    try:
        loaded = SampleReview.from_json(imported.getvalue().decode("utf-8", "replace"))
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
    if review.signed_by:
        st.success(f"Signed off by {review.signed_by} at {review.signed_at}.")
    else:
        st.button(
            "Sign off", key="review_sign", disabled=not reviewer, on_click=review.sign, args=(reviewer,)
        )
    left, right = st.columns(2)
    left.download_button(
        "Export (JSON)", review.to_json(results), f"{review.sample_id}.json", key="review_json"
    )
    right.download_button("Export (CSV)", review.to_csv(results), f"{review.sample_id}.csv", key="review_csv")
    st.file_uploader(
        "Continue a saved review (JSON)",
        type="json",
        key="review_import",
        on_change=import_review,
        args=(review,),
    )
    if note := st.session_state.pop(IMPORT_NOTE_KEY, None):
        (st.success if note[0] else st.error)(note[1])


def review_panel(results: list[CellResult]) -> SampleReview:
    """The review section of a batch; returns its review (``review.reviewed(results)`` is what counts)."""
    st.subheader("Review")
    review = batch_review(results)
    st.text_input("Your name (kept with each change)", key="review_reviewer", persist_state="session")
    gallery_by_class(results, review)
    sign_off_and_export(results, review)
    return review
