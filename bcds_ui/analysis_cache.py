"""Per-image results and explanations kept by content, so reruns of a page never recompute them."""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.analysis import CellAnalyzer, CellResult
from bcds_core.explain import CellExplanation, explain_cell, target_named
from bcds_core.field.analysis import FieldResult, analyze_field
from bcds_core.lab_profile import LabProfile
from bcds_core.result_cache import APP_FIELD_BYTES, APP_RESULT_BYTES, ResultCache
from bcds_ui.lab_profile_state import active_profile


@st.cache_resource
def _cell_results() -> ResultCache[CellResult]:
    return ResultCache(APP_RESULT_BYTES)


@st.cache_resource
def _field_results() -> ResultCache[FieldResult]:
    return ResultCache(APP_FIELD_BYTES)


def analyze_one(
    analyzer: CellAnalyzer,
    name: str,
    key: str,
    data: bytes,
    pixel_size_um: float | None = None,
    profile: LabProfile | None = None,
    profile_key: str | None = None,
) -> CellResult:
    """The analysis of one upload (``key`` is its content hash, ``profile_key`` the lab profile's)."""
    return _cell_results().get_or_compute(
        (name, key, pixel_size_um, profile_key),
        lambda: analyzer.analyze_bytes([(name, data)], pixel_size_um, profile)[0],
    )


def analyze_field_one(
    analyzer: CellAnalyzer,
    name: str,
    key: str,
    data: bytes,
    pixel_size_um: float | None = None,
    profile: LabProfile | None = None,
    profile_key: str | None = None,
) -> FieldResult:
    """The analysis of one uploaded smear field (``key`` is its content hash, ``profile_key`` the profile's)."""

    def find_and_classify() -> FieldResult:
        with st.spinner("Finding the white cells..."):
            return analyze_field(analyzer, name, data, pixel_size_um, profile)

    return _field_results().get_or_compute((name, key, pixel_size_um, profile_key), find_and_classify)


#: Explanations one session keeps, the most recently shown (each holds its crop's maps, at most
#: 0.5 MB; a session that opens every cell of a 100-cell batch would otherwise keep them all).
KEPT_EXPLANATIONS = 40


def explanation_key(result: CellResult, method: str, target: str, active: tuple | None) -> tuple:
    """An explanation's entry: the classifier's input it explains (a digest of the cell's canvas and
    mask: a field's cell read again at another pixel size keeps its name, its position and its
    reading at the reference size, but is another crop), the active lab profile (its network), the
    method and the target."""
    cell = result.cell
    explained = hashlib.blake2b(cell.canvas.tobytes() + cell.canvas_mask.tobytes(), digest_size=16)
    return (explained.hexdigest(), active[2] if active else None, method, target)


def has_explanation(result: CellResult, method: str, target: str) -> bool:
    """Whether this session has already computed the explanation."""
    entry = explanation_key(result, method, target, active_profile())
    return entry in st.session_state.get("explanations", {})


def explain_one(
    analyzer: CellAnalyzer, result: CellResult, method: str, target: str, progress=None
) -> CellExplanation:
    """An explanation of one analysed image, kept per session by (input, profile, method, target).

    ``target`` names a fine class or a group (``explain.target_named``). Kept in
    the session state rather than ``st.cache_data`` so that LIME can drive a
    progress bar while it runs; ``progress`` gets the fraction done. With a lab
    profile active, the network explained is the profile's, which read the cell
    (``explain_cell`` says what of the answer is not in its map).
    """
    kept = st.session_state.setdefault("explanations", {})
    active = active_profile()
    entry = explanation_key(result, method, target, active)
    if entry in kept:
        kept[entry] = kept.pop(entry)  # the most recently shown last
    else:
        kept[entry] = explain_cell(
            analyzer,
            result.cell,
            method,
            target_named(target),
            progress=progress,
            profile=active[1] if active else None,
        )
        while len(kept) > KEPT_EXPLANATIONS:
            kept.pop(next(iter(kept)))
    return kept[entry]
