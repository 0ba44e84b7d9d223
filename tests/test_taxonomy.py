import numpy as np
import pytest

from bcds_core.taxonomy import (
    ABNORMAL_FINE_CLASSES,
    ABNORMAL_GROUPS,
    FINE_CLASSES,
    FINE_TO_GROUP,
    GROUPS,
    NORMAL_FINE_CLASSES,
    NORMAL_GROUPS,
    display_name,
    group_matrix,
    group_of,
)


def test_every_fine_class_has_a_known_group():
    assert len(NORMAL_FINE_CLASSES) == 11 and len(NORMAL_GROUPS) == 8
    assert FINE_CLASSES[:11] == NORMAL_FINE_CLASSES and GROUPS[:8] == NORMAL_GROUPS
    assert set(FINE_TO_GROUP) == set(FINE_CLASSES)
    assert set(FINE_TO_GROUP.values()) == set(GROUPS)


def test_each_abnormal_class_is_a_group_of_its_own():
    assert [FINE_TO_GROUP[c] for c in ABNORMAL_FINE_CLASSES] == list(ABNORMAL_GROUPS)
    assert FINE_TO_GROUP["BLAST"] == "blast"


def test_group_matrix_sums_fine_probabilities_into_groups():
    n = len(FINE_CLASSES)
    fine = np.full(n, 1 / n, dtype=np.float32)
    groups = fine @ group_matrix()
    assert groups.sum() == pytest.approx(1.0)
    assert groups[GROUPS.index("ig")] == pytest.approx(3 / n)
    assert groups[GROUPS.index("neutrophil")] == pytest.approx(2 / n)
    assert groups[GROUPS.index("blast")] == pytest.approx(1 / n)


def test_group_only_labels_map_to_their_group():
    assert group_of("NEUTROPHIL") == "neutrophil"
    assert group_of("IG") == "ig"
    assert group_of("MMY") == "ig"
    with pytest.raises(KeyError):
        group_of("XYZ")


def test_display_names_cover_classes_and_groups():
    for label in FINE_CLASSES + GROUPS:
        assert display_name(label) != label
