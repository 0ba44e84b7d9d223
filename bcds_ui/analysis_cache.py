"""Per-image results cached by content, so reruns of a page never recompute them."""

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


@st.cache_data(max_entries=256, show_spinner=False)
def explain_one(
    _analyzer: CellAnalyzer, _result: CellResult, key: str, method: str, target: int
) -> Explanation:
    """An explanation of one analysed image, cached by (content, method, target)."""
    return explain(_analyzer, _result.cell, method, target)
