"""Models loaded once per server process (``st.cache_resource``)."""

from __future__ import annotations

import streamlit as st

from bcds_core.analysis import CellAnalyzer
from bcds_core.weights_io import WeightsError


@st.cache_resource(show_spinner="Loading the U-Net and the classifier...")
def get_analyzer() -> CellAnalyzer | None:
    """The shared analyzer (CPU, or CUDA where present); None if weights are missing."""
    try:
        return CellAnalyzer()
    except WeightsError:
        return None


def require_analyzer() -> CellAnalyzer:
    """The analyzer, or stop the page with a message saying what is missing."""
    analyzer = get_analyzer()
    if analyzer is None:
        st.error(
            "The trained models are missing or damaged (weights/unet, weights/classifier). "
            "Restore them from the repository or train them: see README."
        )
        st.stop()
    return analyzer
