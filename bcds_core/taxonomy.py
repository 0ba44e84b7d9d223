"""The cell taxonomy in one place: 11 fine classes grouped into 8 groups.

The classifier predicts the 11 fine classes; every group probability is the sum
of its fine classes (``group_matrix``), so the group and the fine class can never
contradict each other. Images labelled only NEUTROPHIL or IG (not sub-typed)
carry a group label and no fine label.
"""

from __future__ import annotations

import numpy as np

#: Fine classes in model-output order. Order is part of the weights' contract.
FINE_CLASSES: tuple[str, ...] = (
    "BA",
    "BNE",
    "EO",
    "ERB",
    "LY",
    "MMY",
    "MO",
    "MY",
    "PLATELET",
    "PMY",
    "SNE",
)

#: The 8 groups, named as the PBC dataset's folders.
GROUPS: tuple[str, ...] = (
    "basophil",
    "eosinophil",
    "erythroblast",
    "ig",
    "lymphocyte",
    "monocyte",
    "neutrophil",
    "platelet",
)

FINE_TO_GROUP: dict[str, str] = {
    "BA": "basophil",
    "BNE": "neutrophil",
    "EO": "eosinophil",
    "ERB": "erythroblast",
    "LY": "lymphocyte",
    "MMY": "ig",
    "MO": "monocyte",
    "MY": "ig",
    "PLATELET": "platelet",
    "PMY": "ig",
    "SNE": "neutrophil",
}

#: File-name prefixes that name a group but no fine class.
GROUP_ONLY_LABELS: dict[str, str] = {"NEUTROPHIL": "neutrophil", "IG": "ig"}

DISPLAY_NAMES: dict[str, str] = {
    "BA": "Basophil",
    "BNE": "Band neutrophil",
    "EO": "Eosinophil",
    "ERB": "Erythroblast",
    "LY": "Lymphocyte",
    "MMY": "Metamyelocyte",
    "MO": "Monocyte",
    "MY": "Myelocyte",
    "PLATELET": "Platelet",
    "PMY": "Promyelocyte",
    "SNE": "Segmented neutrophil",
    "basophil": "Basophil",
    "eosinophil": "Eosinophil",
    "erythroblast": "Erythroblast",
    "ig": "Immature granulocyte",
    "lymphocyte": "Lymphocyte",
    "monocyte": "Monocyte",
    "neutrophil": "Neutrophil",
    "platelet": "Platelet",
}


def group_of(fine_label: str) -> str:
    """Return the group of a fine class or a group-only file label.

    Raises:
        KeyError: for a label the taxonomy does not know.
    """
    if fine_label in FINE_TO_GROUP:
        return FINE_TO_GROUP[fine_label]
    return GROUP_ONLY_LABELS[fine_label]


def group_matrix() -> np.ndarray:
    """Matrix M (11 x 8, float32) with ``group_probs = fine_probs @ M``."""
    matrix = np.zeros((len(FINE_CLASSES), len(GROUPS)), dtype=np.float32)
    for i, fine in enumerate(FINE_CLASSES):
        matrix[i, GROUPS.index(FINE_TO_GROUP[fine])] = 1.0
    return matrix


def display_name(label: str) -> str:
    """Human-readable name of a fine class or group; unknown labels pass through."""
    return DISPLAY_NAMES.get(label, label)
