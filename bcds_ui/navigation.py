"""Keep every page inside the app's own navigation, even when opened by a deep link.

A project with a ``pages/`` folder starts Streamlit in its first multipage
mode: until some session has run ``app.py``, whose ``st.navigation`` switches
the server to the current mode, a link such as ``/classify`` runs the page file
on its own, under an automatic menu of file names and without the app's page
config. Each page calls ``use_app_navigation`` before drawing anything: in that
case it makes the switch ``st.navigation`` would make and reruns, so that
``app.py`` serves the same URL with the app's menu. A page's identity depends
only on its URL path in both modes, so the rerun lands on the same page.

Why a private attribute: Streamlit 1.67 has no public way to leave the
``pages/``-folder mode from a page. Its documented switch is ``st.navigation``,
which may be called only once per run and only from the entry point, so a page
cannot call it; ``client.showSidebarNavigation = false`` hides the automatic
menu but still runs the page file without ``app.py``; and Streamlit's advice,
a folder named other than ``pages/``, is what the design card's ``pages/``
folder rules out. The flag set here, ``PagesManager.uses_pages_directory``, is
the one ``st.navigation`` itself clears; the browser test of a cold deep link
(``tests/test_browser.py``) fails if a Streamlit upgrade moves it.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def use_app_navigation() -> None:
    """Rerun through ``app.py`` if Streamlit ran this page file directly (first multipage mode)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
