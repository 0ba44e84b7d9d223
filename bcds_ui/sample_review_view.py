"""The review of a batch: a gallery per answered class, reclassification, comments, sign-off, export and import."""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.report import thumbnail
from bcds_core.sample_review import RECLASSIFY_CHOICES, SampleReview
from bcds_core.taxonomy import GROUPS, display_name

COLUMNS = 6


def batch_review(results: list[CellResult]) -> SampleReview:
    """This session's review of this batch (kept while the session lives, keyed by the batch's files)."""
    key = hashlib.sha256("\n".join(r.file for r in results).encode()).hexdigest()[:16]
    reviews = st.session_state.setdefault("sample_reviews", {})
    return reviews.setdefault(key, SampleReview())


def gallery_by_class(results: list[CellResult], review: SampleReview, reviewer: str) -> None:
    """Thumbnails in one bin per answered group (review and rejected in their own), each reclassifiable."""
    bins = {g: [r for r in results if r.group == g and r.status == "ok"] for g in GROUPS}
    bins["review"] = [r for r in results if r.status == "review"]
    bins["rejected"] = [r for r in results if r.status == "rejected"]
    for name, members in bins.items():
        if not members:
            continue
        with st.expander(f"{display_name(name)} ({len(members)})", expanded=name == "review"):
            columns = st.columns(COLUMNS)
            for i, result in enumerate(members):
                column = columns[i % COLUMNS]
                if result.rgb is not None and result.status != "rejected":
                    column.image(thumbnail(result), width=96)
                    reclassify(column, result, review, reviewer)
                column.caption(f"{result.file}: {result.message}" if result.status != "ok" else result.file)


def reclassify(column, result: CellResult, review: SampleReview, reviewer: str) -> None:
    """A select box with the cell's current label; a change is recorded with who and when."""
    current = review.corrections.get(result.file)
    label = current.label if current else result.label
    chosen = column.selectbox(
        "label",
        RECLASSIFY_CHOICES,
        index=RECLASSIFY_CHOICES.index(label) if label in RECLASSIFY_CHOICES else 0,
        format_func=display_name,
        key=f"review_label_{hashlib.sha256(result.file.encode()).hexdigest()[:12]}",
        label_visibility="collapsed",
    )
    if chosen != label:
        review.correct(result.file, chosen, reviewer)
        st.rerun()
    if current:
        column.caption(f"model: {display_name(result.label or '-')}; {current.by}, {current.at}")


def sign_off_and_export(results: list[CellResult], review: SampleReview) -> None:
    """Sample ID, comments, sign-off; the reviewed sample as JSON and CSV, and a JSON to continue from."""
    review.sample_id = st.text_input(
        "Sample ID (not a patient's name)", review.sample_id, key="review_sample_id"
    )
    review.comments = st.text_area("Comments", review.comments, key="review_comments")
    reviewer = st.session_state.get("review_reviewer", "")
    if review.signed_by:
        st.success(f"Signed off by {review.signed_by} at {review.signed_at}.")
    elif st.button("Sign off", key="review_sign", disabled=not reviewer):
        review.sign(reviewer)
        st.rerun()
    left, right = st.columns(2)
    left.download_button(
        "Export (JSON)", review.to_json(results), f"{review.sample_id}.json", key="review_json"
    )
    right.download_button("Export (CSV)", review.to_csv(results), f"{review.sample_id}.csv", key="review_csv")
    imported = st.file_uploader("Continue a saved review (JSON)", type="json", key="review_import")
    if imported is not None:
        try:
            loaded = SampleReview.from_json(imported.getvalue().decode("utf-8", "replace"))
        except ValueError as error:
            st.error(str(error))
        else:
            review.__dict__.update(loaded.__dict__)


def review_panel(results: list[CellResult]) -> list[CellResult]:
    """The review section of a batch; returns the answers as reviewed."""
    st.subheader("Review")
    review = batch_review(results)
    reviewer = st.text_input("Your name (kept with each change)", key="review_reviewer")
    gallery_by_class(results, review, reviewer)
    sign_off_and_export(results, review)
    return review.reviewed(results)
