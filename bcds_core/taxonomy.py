"""The cell taxonomy in one place: 11 normal fine classes in 8 groups, and abnormal cells.

The classifier predicts fine classes; every group probability is the sum of its
fine classes (``group_matrix``), so the group and the fine class can never
contradict each other. Images labelled only NEUTROPHIL or IG (not sub-typed)
carry a group label and no fine label.

The 11 normal classes are those of PBC (healthy donors). The abnormal classes
(blast, abnormal promyelocyte, variant lymphocyte, smudge cell) come from the
DeepAPL cohort of AML/APL patients; each is its own group, so a suspected blast
is answered ``group == "blast"``, ``label == "BLAST"``. A release trained before
the abnormal classes existed outputs only the normal ones (its config's
``classes``); the others then get probability 0.
"""

from __future__ import annotations

import numpy as np

#: The normal fine classes of PBC, in model-output order.
NORMAL_FINE_CLASSES: tuple[str, ...] = (
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
#: Abnormal fine classes, after the normal ones in model-output order.
ABNORMAL_FINE_CLASSES: tuple[str, ...] = ("BLAST", "ABPMY", "VLY", "SMUDGE")
#: Fine classes in model-output order. Order is part of the weights' contract.
FINE_CLASSES: tuple[str, ...] = NORMAL_FINE_CLASSES + ABNORMAL_FINE_CLASSES

#: The 8 normal groups, named as the PBC dataset's folders.
NORMAL_GROUPS: tuple[str, ...] = (
    "basophil",
    "eosinophil",
    "erythroblast",
    "ig",
    "lymphocyte",
    "monocyte",
    "neutrophil",
    "platelet",
)
#: One group per abnormal class: each needs a person's eye, whatever the normal groups say.
ABNORMAL_GROUPS: tuple[str, ...] = ("blast", "abnormal_promyelocyte", "variant_lymphocyte", "smudge")
GROUPS: tuple[str, ...] = NORMAL_GROUPS + ABNORMAL_GROUPS

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
    "BLAST": "blast",
    "ABPMY": "abnormal_promyelocyte",
    "VLY": "variant_lymphocyte",
    "SMUDGE": "smudge",
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
    "BLAST": "Blast",
    "ABPMY": "Abnormal promyelocyte",
    "VLY": "Variant (atypical) lymphocyte",
    "SMUDGE": "Smudge cell",
    "basophil": "Basophil",
    "eosinophil": "Eosinophil",
    "erythroblast": "Erythroblast",
    "ig": "Immature granulocyte",
    "lymphocyte": "Lymphocyte",
    "monocyte": "Monocyte",
    "neutrophil": "Neutrophil",
    "platelet": "Platelet",
    "blast": "Blast",
    "abnormal_promyelocyte": "Abnormal promyelocyte",
    "variant_lymphocyte": "Variant lymphocyte",
    "smudge": "Smudge cell",
    "unidentified": "Unidentified (out of the count)",
    "artefact": "Artefact (out of the count)",
}


def group_of_folder(name: str) -> str | None:
    """The group a folder of cells names, in any case and singular or plural ("Neutrophils" is
    neutrophil, as labs name their folders), or None for a folder that names no group."""
    name = name.strip().lower()
    return next((c for c in (name, name.removesuffix("s")) if c in GROUPS), None)


def group_of(fine_label: str) -> str:
    """Return the group of a fine class or a group-only file label.

    Raises:
        KeyError: for a label the taxonomy does not know.
    """
    if fine_label in FINE_TO_GROUP:
        return FINE_TO_GROUP[fine_label]
    return GROUP_ONLY_LABELS[fine_label]


def group_matrix() -> np.ndarray:
    """Matrix M (fine classes x groups, float32) with ``group_probs = fine_probs @ M``."""
    matrix = np.zeros((len(FINE_CLASSES), len(GROUPS)), dtype=np.float32)
    for i, fine in enumerate(FINE_CLASSES):
        matrix[i, GROUPS.index(FINE_TO_GROUP[fine])] = 1.0
    return matrix


def display_name(label: str) -> str:
    """Human-readable name of a fine class or group; unknown labels pass through."""
    return DISPLAY_NAMES.get(label, label)
