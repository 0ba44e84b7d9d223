import numpy as np
import pytest

from bcds_core.taxonomy import (
    FINE_CLASSES,
    FINE_TO_GROUP,
    GROUPS,
    display_name,
    group_matrix,
    group_of,
)


def test_every_fine_class_has_a_known_group():
    assert len(FINE_CLASSES) == 11 and len(GROUPS) == 8
    assert set(FINE_TO_GROUP) == set(FINE_CLASSES)
    assert set(FINE_TO_GROUP.values()) == set(GROUPS)


def test_group_matrix_sums_fine_probabilities_into_groups():
    fine = np.full(11, 1 / 11, dtype=np.float32)
    groups = fine @ group_matrix()
    assert groups.sum() == pytest.approx(1.0)
    assert groups[GROUPS.index("ig")] == pytest.approx(3 / 11)
    assert groups[GROUPS.index("neutrophil")] == pytest.approx(2 / 11)


def test_group_only_labels_map_to_their_group():
    assert group_of("NEUTROPHIL") == "neutrophil"
    assert group_of("IG") == "ig"
    assert group_of("MMY") == "ig"
    with pytest.raises(KeyError):
        group_of("XYZ")


def test_display_names_cover_classes_and_groups():
    for label in FINE_CLASSES + GROUPS:
        assert display_name(label) != label
