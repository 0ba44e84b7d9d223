"""The home page: what bcds does and does not do, how to use it, metrics at a glance."""

from __future__ import annotations

import json

import streamlit as st

from bcds_core.paths import WEIGHTS_DIR
from bcds_ui.attribution import EXPERT_MASKS_ATTRIBUTION, PBC_ATTRIBUTION


def _metrics(model: str) -> dict:
    path = WEIGHTS_DIR / model / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}


def home() -> None:
    st.title("bcds: blood-cell classification with explanations")
    st.markdown(
        "Upload microscope images of **single blood cells** (CellaVision style, May-Grünwald-Giemsa "
        "stain) and bcds masks the cell with a U-Net, names its type in **8 groups and 11 fine "
        "classes** with a calibrated confidence, and shows **why** with Grad-CAM and LIME heat maps."
    )
    st.warning(
        "bcds is a research and teaching aid, **not a diagnostic device**. It was trained on images "
        "of healthy donors from one analyser; it has not been validated for clinical use."
    )
    if st.button("Classify cells", type="primary", icon=":material/biotech:", key="home_classify"):
        st.switch_page("pages/classify.py")
    st.subheader("How to use it")
    st.markdown(
        "1. **Classify cells**: upload one or many images, or pick a sample with one click.\n"
        "2. Read the status: **ok**, **review** (check by eye: low confidence, cell cut by the border) or "
        "**rejected** (no single cell: empty image, several cells, not a cell image).\n"
        "3. Open the explanations to see which parts of the cell drove the answer.\n"
        "4. **Explore the data** and **Misclassified cells** show what the models learned from and "
        "where they go wrong."
    )
    classifier, unet = _metrics("classifier"), _metrics("unet")
    if classifier or unet:
        st.subheader("Models at a glance (held-out test data)")
        columns = st.columns(4)
        if classifier:
            columns[0].metric("8-group accuracy", f"{classifier['accuracy_8']:.1%}")
            columns[1].metric("11-class accuracy", f"{classifier['accuracy_11']:.1%}")
            columns[2].metric("Calibration error (ECE, 11)", f"{classifier['ece_11']:.1%}")
        if unet:
            held_out = unet.get("not_trained_on", unet)
            columns[3].metric("U-Net mask IoU (held-out expert masks)", f"{held_out['mean_iou']:.2f}")
        st.caption("Details, data split and settings: the model cards in weights/.")
    st.subheader("Data and attribution")
    st.markdown(PBC_ATTRIBUTION + "\n\n" + EXPERT_MASKS_ATTRIBUTION)
