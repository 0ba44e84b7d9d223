"""bcds: the Streamlit entry point. It routes the pages; the home page is defined here."""

from __future__ import annotations

import streamlit as st

from bcds_ui.home import home

PAGES = {
    "Classify": [
        st.Page(home, title="Home", icon=":material/home:", default=True),
        st.Page("pages/classify.py", title="Classify cells", icon=":material/biotech:"),
        st.Page("pages/calibrate.py", title="Calibrate to my microscope", icon=":material/tune:"),
    ],
    "Explore the data": [
        st.Page("pages/dataset_overview.py", title="Dataset overview", icon=":material/bar_chart:"),
        st.Page("pages/colour_signatures.py", title="Colour and radial signatures", icon=":material/radar:"),
    ],
    "Model review": [
        st.Page("pages/review_errors.py", title="Misclassified cells", icon=":material/rule:"),
    ],
}

page = st.navigation(PAGES)
# After the navigation, so that each page has its own browser-tab title (a fixed one would hide them).
st.set_page_config(page_title=f"{page.title} · bcds", page_icon=":material/bloodtype:", layout="wide")
page.run()
