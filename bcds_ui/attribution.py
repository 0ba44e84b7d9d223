"""The credits the pages show under images and answers (the words: ``bcds_core.attribution``)."""

from bcds_core.attribution import MODEL_ATTRIBUTION, PBC_ATTRIBUTION


def show_attribution(st_module) -> None:
    """Under PBC images: the PBC credit (pass the ``streamlit`` module)."""
    st_module.caption(PBC_ATTRIBUTION)


def show_model_attribution(st_module) -> None:
    """Under the models' answers or heat maps: where the models' training data came from."""
    st_module.caption(MODEL_ATTRIBUTION)
