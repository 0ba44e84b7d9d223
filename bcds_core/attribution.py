"""Who made the data behind bcds: shown wherever its images, models trained on them, or figures
measured on them appear (the app's pages, the PDF report, the model cards).

Written once here, in Markdown (the pages render it), so that the PDF, which prints plain text
(``plain``), credits the same sources in the same words.
"""

from __future__ import annotations

import re

PBC_ATTRIBUTION = (
    "Cell images: PBC dataset, A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, "
    "J. Rodellar (2020), *Data in Brief* 30, 105474, "
    "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)."
)
EXPERT_MASKS_ATTRIBUTION = (
    "Expert masks and the CellaVision-blog cells: X. Zheng, Y. Wang, G. Wang, J. Liu (2018), "
    "*Micron* 107, 55-71 (Dataset 2)."
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
    "Models: the classifier was trained on the PBC dataset (Acevedo et al. 2020, *Data in Brief* 30, "
    "105474, CC BY 4.0) and the DeepAPL discovery cohort (Sidhom et al. 2021, *npj Precision Oncology* "
    "5:38); the U-Net on PBC images and 35 expert masks (Zheng et al. 2018, *Micron* 107, 55-71)."
)


def plain(markdown: str) -> str:
    """The text without Markdown: emphasis dropped, a link written as its text and address."""
    linked = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", markdown)
    return linked.replace("*", "")
