"""A batch's gallery: one bin per answered class, each thumbnail reclassifiable and openable.

Bins follow the model's answers, not the review, so a cell stays where it was
clicked after it is moved to another class; the open cell's view is drawn
under its row, inside its bin, where the person is looking.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.report import thumbnail
from bcds_core.sample_review import RECLASSIFY_CHOICES, SampleReview, choice_name
from bcds_core.screening import counted_by_probability
from bcds_core.taxonomy import GROUPS, display_name
from bcds_ui.clickable_thumbnail import clickable_thumbnail
from bcds_ui.open_cell import open_cell, open_cell_panel, opened

COLUMNS = 6
BIN_NAMES = {"review": "To review", "rejected": "Rejected (not counted)"}


def file_key(file: str) -> str:
    """A widget-key fragment for a file (names may hold characters a key should not)."""
    return hashlib.sha256(file.encode()).hexdigest()[:12]


def bins(results: list[CellResult]) -> dict[str, list[int]]:
    """Indices into ``results`` per answered group (ok answers), then review, then rejected."""
    found = {g: [i for i, r in enumerate(results) if r.group == g and r.status == "ok"] for g in GROUPS}
    found["review"] = [i for i, r in enumerate(results) if r.status == "review"]
    found["rejected"] = [i for i, r in enumerate(results) if r.status == "rejected"]
    return {name: members for name, members in found.items() if members}


def gallery_by_class(
    results: list[CellResult], review: SampleReview, show_cell: Callable[[int], None]
) -> None:
    """The bins as expanders of thumbnail rows; ``show_cell(i)`` draws the open cell ``results[i]``."""
    open_file = opened()
    for name, members in bins(results).items():
        title = f"{BIN_NAMES.get(name) or display_name(name)} ({len(members)})"
        with st.expander(title, expanded=name == "review"):
            for start in range(0, len(members), COLUMNS):
                row = members[start : start + COLUMNS]
                for column, i in zip(st.columns(COLUMNS), row, strict=False):
                    with column:
                        card(results[i], review, results[i].file == open_file)
                for i in row:
                    if results[i].file == open_file:
                        open_cell_panel(results, members, i, review, show_cell)


def card(result: CellResult, review: SampleReview, is_open: bool) -> None:
    """A thumbnail and a button under it, either of which opens the cell, its class as reviewed and, if not ok, why."""
    readable = result.rgb is not None and result.status != "rejected"
    if readable:
        clickable_thumbnail(
            thumbnail(result),
            f"Cell {result.file}",
            functools.partial(open_cell, result.file),
            key=f"review_thumbnail_{file_key(result.file)}",
            pressed=is_open,
        )
    st.button(
        f"Open {result.file}",
        key=f"review_open_{file_key(result.file)}",
        type="primary" if is_open else "tertiary",
        on_click=open_cell,
        args=(result.file,),
        width="stretch",
        wrap=True,  # a long file name wraps in a narrow (800 px) column instead of ending in "Op..."
    )
    if readable:
        reclassify(result, review)
    if result.status != "ok":
        st.caption(result.message)


def reclassify(result: CellResult, review: SampleReview) -> None:
    """A select box showing the cell's label as reviewed; a change is recorded with who and when."""
    key = f"review_label_{file_key(result.file)}"
    current = review.corrections.get(result.file)
    label = current.label if current else result.label
    st.session_state[key] = label if label in RECLASSIFY_CHOICES else None

    def record() -> None:
        if st.session_state[key] is not None:
            review.correct(result.file, st.session_state[key], st.session_state.get("review_reviewer", ""))

    st.selectbox(
        f"Class of {result.file}",
        RECLASSIFY_CHOICES,
        format_func=choice_name,
        key=key,
        on_change=record,
        placeholder="Choose a class",
        label_visibility="collapsed",
    )
    if current:
        st.caption(f"model: {display_name(result.label or '-')}; {current.by}, {current.at}")
    elif counted_by_probability(result) and result.label in RECLASSIFY_CHOICES:
        confirm_answer(result, review)


def confirm_answer(result: CellResult, review: SampleReview) -> None:
    """A button that records the model's own class for a cell the screen counts as a likely blast
    equivalent: the select box already shows that class, so choosing it changes nothing, and the
    cell would count until moved to another class and back."""

    def confirm() -> None:
        review.correct(result.file, result.label, st.session_state.get("review_reviewer", ""), confirmed=True)

    st.button(
        f"Confirm {display_name(result.label)}",
        key=f"review_confirm_{file_key(result.file)}",
        help="The screen counts this cell as a likely blast or abnormal promyelocyte until its class is confirmed.",
        on_click=confirm,
        width="stretch",
    )
