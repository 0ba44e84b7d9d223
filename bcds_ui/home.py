"""The home page: what bcds does and does not do, how to use it, how right it is on each source."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from bcds_core.attribution import DATA_ATTRIBUTIONS
from bcds_core.paths import REPORTS_DIR, WEIGHTS_DIR

#: The sources of ``reports/sources/metrics.json``, in the order shown, with what each one is.
SOURCES = {
    "pbc_test": ("PBC, test split", "the analyser it learned from (CellaVision DM96, healthy donors)"),
    "deepapl_test_patients": (
        "DeepAPL, 12 test patients",
        "another hospital's CellaVision, leukaemia; other patients trained it",
    ),
    "cellavision_blog": ("CellaVision-blog cells", "another lab's CellaVision; never trained on"),
    "bccd_crops": ("BCCD crops", "another microscope and stain; never trained on"),
}


def _read(path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def source_table(found: dict) -> pd.DataFrame:
    """One row per measured source: group accuracy, and how many answers were ``ok`` and right.

    Every source, not only the one the model knows best: a lab should see how far its own
    images may be from PBC's before it trusts an answer.
    """
    rows = []
    for key, (name, origin) in SOURCES.items():
        if (source := found.get(key)) is None:
            continue
        n_ok, right = source["n_ok"], source["ok_right"]
        normal = source.get("abnormal", {}).get("normal_cells_accuracy_8")
        rows.append(
            {
                "images": name,
                "what they are": origin,
                "cells": f"{source['n']:,}",
                "group right": f"{source['accuracy_8']:.1%}"
                + (f" (normal cells {normal:.1%})" if normal is not None else ""),
                "answered ok": f"{n_ok:,} ({source['ok_share']:.0%})",
                "ok answers right": f"{round(right * n_ok):,} of {n_ok:,}" if n_ok else "none answered ok",
            }
        )
    return pd.DataFrame(rows)


def blast_line(cross_validation: dict) -> str:
    """The held-out blast figures of the patient-grouped cross-validation, in one sentence."""
    mean = cross_validation["mean"]
    return (
        f"Blasts, {cross_validation['patients']} DeepAPL patients the network never trained on, thresholds "
        f"fitted on other patients: {mean['blasts_caught']:.0%} caught (answered or flagged), with "
        f"{mean['normal_flagged']:.0%} of the same patients' normal cells flagged for review."
    )


def home() -> None:
    st.title("bcds: blood-cell classification with explanations")
    st.markdown(
        "Upload microscope images of **single blood cells** or **whole smear fields** (May-Grünwald-Giemsa "
        "or a similar stain; CellaVision analysers or an ordinary microscope). bcds reads each cell at the "
        "pixel size its models learned on, masks it with a U-Net, names its type in **8 groups and 11 fine "
        "classes** with a calibrated confidence, **warns on abnormal cells** (blasts, abnormal "
        "promyelocytes, variant lymphocytes, smudge cells), and shows **why** with Grad-CAM and LIME heat maps."
    )
    st.warning(
        "bcds is a research and teaching aid, **not a diagnostic device**; it has not been validated for "
        "clinical use. It learned from one analyser's healthy donors and one hospital's leukaemia patients: "
        "images from other microscopes are read less well (below), so most of their answers ask for review."
    )
    if st.button("Classify cells", type="primary", icon=":material/biotech:", key="home_classify"):
        st.switch_page("pages/classify.py")
    st.subheader("How to use it")
    st.markdown(
        "1. **Classify cells**: upload one or many images (or a zip), or pick a sample with one click; "
        "switch on *Smear fields* for whole fields.\n"
        "2. Read the status: **ok**, **review** (check by eye: low confidence, an unfamiliar image, a "
        "possible abnormal cell, a cell cut by the border) or **rejected** (no single cell: empty image, "
        "several cells, not a cell image).\n"
        "3. Open the explanations to see which parts of the cell drove the answer; review, correct and sign "
        "the sample's differential.\n"
        "4. **Calibrate to my microscope**: a few labelled cells of your own fit a profile to your images.\n"
        "5. **Explore the data** and **Misclassified cells** show what the models learned from and "
        "where they go wrong."
    )
    found = _read(REPORTS_DIR / "sources" / "metrics.json")
    classifier, unet = (
        _read(WEIGHTS_DIR / "classifier" / "metrics.json"),
        _read(WEIGHTS_DIR / "unet" / "metrics.json"),
    )
    if found:
        st.subheader("How often it is right, per source (images it never trained on)")
        st.table(source_table(found).set_index("images"))
        if cross_validation := _read(REPORTS_DIR / "screening_cv.json"):
            st.caption(blast_line(cross_validation))
    if classifier or unet:
        columns = st.columns(3)
        if classifier:
            columns[0].metric("11-class accuracy (PBC test)", f"{classifier['accuracy_11']:.1%}")
            columns[1].metric("Calibration error (ECE, 11, PBC test)", f"{classifier['ece_11']:.1%}")
        if unet:
            held_out = unet.get("not_trained_on", unet)
            columns[2].metric("U-Net mask IoU (held-out expert masks)", f"{held_out['mean_iou']:.2f}")
    st.caption("Details, data splits and settings: the model cards in weights/ and the reports in reports/.")
    st.subheader("Data and attribution")
    st.markdown("\n\n".join(DATA_ATTRIBUTIONS))
