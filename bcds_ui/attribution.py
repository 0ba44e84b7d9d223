"""The data attribution shown wherever PBC images appear (CC BY 4.0 requires it)."""

PBC_ATTRIBUTION = (
    "Cell images: PBC dataset, A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, "
    "J. Rodellar (2020), *Data in Brief* 30, 105474, "
    "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)."
)
EXPERT_MASKS_ATTRIBUTION = (
    "Expert masks: X. Zheng, Y. Wang, G. Wang, J. Liu (2018), *Micron* 107, 55-71 (Dataset 2)."
)


def show_attribution(st_module) -> None:
    """Render the PBC attribution as a caption (pass the ``streamlit`` module)."""
    st_module.caption(PBC_ATTRIBUTION)
