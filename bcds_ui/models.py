"""Models loaded once per server process (``st.cache_resource``)."""

from __future__ import annotations

import streamlit as st

from bcds_core.analysis import CellAnalyzer
from bcds_core.weights_io import WeightsError


@st.cache_resource(show_spinner="Loading the U-Net and the classifier...")
def get_analyzer() -> CellAnalyzer:
    """The shared analyzer (CPU, or CUDA where present).

    Raises:
        WeightsError: the weights are missing or damaged. Raised, not answered as None: Streamlit
            caches a value for the server's life but not an exception, so weights restored as the
            page says are found on the next run without a restart.
    """
    return CellAnalyzer()


def require_analyzer() -> CellAnalyzer:
    """The analyzer, or stop the page with a message saying what is missing."""
    try:
        return get_analyzer()
    except WeightsError:
        st.error(
            "The trained models are missing or damaged (weights/unet, weights/classifier). "
            "Restore them from the repository or train them: see README."
        )
        st.stop()
