"""Per-image results and explanations kept by content, so reruns of a page never recompute them."""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.analysis import CellAnalyzer, CellResult
from bcds_core.explain import CellExplanation, explain_cell, target_named
from bcds_core.field.analysis import FieldResult, analyze_field
from bcds_core.lab_profile import LabProfile


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Results kept for all sessions. Each holds the image at the models' pixel size (decoding caps
#: the side at 2048 pixels), so the cache stays within a few hundred MB.
MAX_CACHED_RESULTS = 128


@st.cache_data(max_entries=MAX_CACHED_RESULTS, show_spinner=False)
def analyze_one(
    _analyzer: CellAnalyzer,
    name: str,
    key: str,
    data: bytes,
    pixel_size_um: float | None = None,
    _profile: LabProfile | None = None,
    profile_key: str | None = None,
) -> CellResult:
    """The analysis of one upload (``key`` is its content hash, ``profile_key`` the lab profile's)."""
    return _analyzer.analyze_bytes([(name, data)], pixel_size_um, _profile)[0]


@st.cache_data(max_entries=MAX_CACHED_RESULTS // 4, show_spinner="Finding the white cells...")
def analyze_field_one(
    _analyzer: CellAnalyzer,
    name: str,
    key: str,
    data: bytes,
    pixel_size_um: float | None = None,
    _profile: LabProfile | None = None,
    profile_key: str | None = None,
) -> FieldResult:
    """The analysis of one uploaded smear field (``key`` is its content hash, ``profile_key`` the profile's)."""
    return analyze_field(_analyzer, name, data, pixel_size_um, _profile)


def has_explanation(key: str, method: str, target: str) -> bool:
    """Whether this session has already computed the explanation."""
    return (key, method, target) in st.session_state.get("explanations", {})


def explain_one(
    analyzer: CellAnalyzer, result: CellResult, key: str, method: str, target: str, progress=None
) -> CellExplanation:
    """An explanation of one analysed image, kept per session by (content, method, target).

    ``target`` names a fine class or a group (``explain.target_named``). Kept in
    the session state rather than ``st.cache_data`` so that LIME can drive a
    progress bar while it runs; ``progress`` gets the fraction done.
    """
    kept = st.session_state.setdefault("explanations", {})
    if (key, method, target) not in kept:
        kept[(key, method, target)] = explain_cell(
            analyzer, result.cell, method, target_named(target), progress=progress
        )
    return kept[(key, method, target)]
