"""The data attributions shown wherever PBC images, models trained on PBC and DeepAPL, or figures measured on
other sources appear."""

PBC_ATTRIBUTION = (
    "Cell images: PBC dataset, A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, "
    "J. Rodellar (2020), *Data in Brief* 30, 105474, "
    "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)."
)
EXPERT_MASKS_ATTRIBUTION = (
    "Expert masks: X. Zheng, Y. Wang, G. Wang, J. Liu (2018), *Micron* 107, 55-71 (Dataset 2)."
)


DEEPAPL_ATTRIBUTION = (
    "DeepAPL discovery cohort: J.-W. Sidhom et al. (2021), *npj Precision Oncology* 5:38 "
    "(repository sidhomj/DeepAPL, MIT licence at the time the images were committed)."
)
BCCD_ATTRIBUTION = (
    "BCCD fields and crops (measured on, never trained on): Shenggan, BCCD_Dataset (MIT licence); "
    "white-cell crops from apple2373/BCCD."
)
#: Every data source behind the shipped models and the figures the app shows about them.
DATA_ATTRIBUTIONS = (PBC_ATTRIBUTION, DEEPAPL_ATTRIBUTION, EXPERT_MASKS_ATTRIBUTION, BCCD_ATTRIBUTION)
MODEL_ATTRIBUTION = (
    "The classifier was trained on the PBC dataset (Acevedo et al. 2020, *Data in Brief* 30, 105474, "
    "CC BY 4.0) and on the DeepAPL discovery cohort (Sidhom et al. 2021, *npj Precision Oncology* 5:38)."
)


def show_attribution(st_module) -> None:
    """Render the PBC attribution as a caption (pass the ``streamlit`` module)."""
    st_module.caption(PBC_ATTRIBUTION)


def show_model_attribution(st_module) -> None:
    """Under answers for the user's own images: where the models' training data came from."""
    st_module.caption(MODEL_ATTRIBUTION)
