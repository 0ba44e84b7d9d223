"""The open cell of a batch's gallery: a keypad that moves it to another class with one key, and its view.

Streamlit buttons take a keyboard shortcut (``st.button(shortcut=...)``), so each
class the cell can be moved to is a button with its own letter, as on a
haematologist's cell counter, and the left and right arrows step through the
bin. Streamlit ignores shortcuts while a text box or select box has the focus,
so typing a name or a comment never moves a cell.

The open cell is a file name in session state: opening one only reruns the
page, whose answers come from the result cache, never recomputed.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from bcds_core.analysis import CellResult
from bcds_core.sample_review import SampleReview, choice_name

#: Session-state key of the open cell's file name (None: no cell open).
OPEN_KEY = "review_open"
#: The key of each label a cell can be moved to: its initial where free (Streamlit keeps C and R for itself).
KEYS = {
    "SNE": "S",
    "BNE": "D",  # banD
    "LY": "L",
    "MO": "M",
    "EO": "E",
    "BA": "B",
    "PMY": "P",
    "MY": "Y",  # mYelocyte
    "MMY": "T",  # meTamyelocyte
    "ERB": "N",  # Nucleated red cell
    "PLATELET": "K",
    "BLAST": "X",
    "ABPMY": "A",
    "VLY": "V",
    "SMUDGE": "G",  # smudGe
    "UNIDENTIFIED": "U",
    "ARTEFACT": "F",  # arteFact
}


def open_cell(file: str | None) -> None:
    """Open ``file``'s cell (None closes the open one)."""
    st.session_state[OPEN_KEY] = file


def opened() -> str | None:
    return st.session_state.get(OPEN_KEY)


def move(review: SampleReview, file: str, label: str) -> None:
    review.correct(file, label, st.session_state.get("review_reviewer", ""))


def keypad(result: CellResult, review: SampleReview) -> None:
    """One button per class, each with its key; the cell's class as reviewed is highlighted."""
    correction = review.corrections.get(result.file)
    current = correction.label if correction else result.label
    st.caption("Move this cell to another class: press the key shown on its button, or click it.")
    with st.container(horizontal=True, gap="small"):
        for label, key in KEYS.items():
            st.button(
                choice_name(label),
                key=f"review_move_{label}",
                shortcut=key,
                type="primary" if label == current else "secondary",
                on_click=move,
                args=(review, result.file, label),
            )


def stepper(results: list[CellResult], members: list[int], i: int) -> None:
    """Previous and next cell of the same bin (arrow keys), and close."""
    place = members.index(i)
    with st.container(horizontal=True, gap="small"):
        for text, key, step in (("Previous cell", "Left", -1), ("Next cell", "Right", 1)):
            target = place + step
            inside = 0 <= target < len(members)
            st.button(
                text,
                key=f"review_step_{step}",
                shortcut=key,
                disabled=not inside,
                on_click=open_cell,
                args=(results[members[target]].file if inside else None,),
            )
        st.button("Close", key="review_close", on_click=open_cell, args=(None,))


def open_cell_panel(
    results: list[CellResult],
    members: list[int],
    i: int,
    review: SampleReview,
    show_cell: Callable[[int], None],
) -> None:
    """The open cell ``results[i]`` of the bin ``members`` (indices into ``results``), drawn under its row."""
    with st.container(border=True):
        if results[i].label and results[i].status != "rejected":
            keypad(results[i], review)
        stepper(results, members, i)
        show_cell(i)
