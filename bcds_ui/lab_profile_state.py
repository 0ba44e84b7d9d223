"""The lab profile this session classifies with (chosen on the calibration page)."""

from __future__ import annotations

import hashlib

import streamlit as st

from bcds_core.lab_profile import PROFILE_FILE, LabProfile

STATE_KEY = "lab_profile"


def set_active_profile(name: str, profile: LabProfile) -> None:
    """Use ``profile`` (called ``name``) for every answer of this session from now on."""
    key = hashlib.sha256(profile.files()[PROFILE_FILE]).hexdigest()
    st.session_state[STATE_KEY] = (name, profile, key)


def clear_active_profile() -> None:
    st.session_state.pop(STATE_KEY, None)


def active_profile() -> tuple[str, LabProfile, str] | None:
    """(name, profile, content key) of the session's profile, or None."""
    return st.session_state.get(STATE_KEY)
