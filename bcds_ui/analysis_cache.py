"""Per-image results and explanations kept by content, so reruns of a page never recompute them."""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.analysis import CellAnalyzer, CellResult
from bcds_core.explain import Explanation, explain


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=512, show_spinner=False)
def analyze_one(_analyzer: CellAnalyzer, name: str, key: str, data: bytes) -> CellResult:
    """The analysis of one upload (``key`` is its content hash: the cache key)."""
    return _analyzer.analyze_bytes([(name, data)])[0]


def has_explanation(key: str, method: str, target: int) -> bool:
    """Whether this session has already computed the explanation."""
    return (key, method, target) in st.session_state.get("explanations", {})


def explain_one(
    analyzer: CellAnalyzer, result: CellResult, key: str, method: str, target: int, progress=None
) -> Explanation:
    """An explanation of one analysed image, kept per session by (content, method, target).

    Kept in the session state rather than ``st.cache_data`` so that LIME can
    drive a progress bar while it runs; ``progress`` gets the fraction done.
    """
    kept = st.session_state.setdefault("explanations", {})
    if (key, method, target) not in kept:
        kept[(key, method, target)] = explain(analyzer, result.cell, method, target, progress=progress)
    return kept[(key, method, target)]
