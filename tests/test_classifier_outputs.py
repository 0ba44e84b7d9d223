"""Releases with fewer classes than the taxonomy: outputs in taxonomy order, widened heads."""

import torch

from bcds_core.classifier.model import (
    ABSENT_LOGIT,
    TaxonomyOrder,
    build_classifier,
    fine_and_group_probabilities,
    widen_head,
)
from bcds_core.taxonomy import FINE_CLASSES, NORMAL_FINE_CLASSES


def test_a_release_without_the_abnormal_classes_gives_them_probability_zero():
    torch.manual_seed(0)
    network = build_classifier("resnet18", len(NORMAL_FINE_CLASSES)).eval()
    model = TaxonomyOrder(network, list(NORMAL_FINE_CLASSES)).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        own, placed = network(x), model(x)
    assert placed.shape == (2, len(FINE_CLASSES))
    assert torch.equal(placed[:, : len(NORMAL_FINE_CLASSES)], own)
    assert (placed[:, len(NORMAL_FINE_CLASSES) :] == ABSENT_LOGIT).all()
    fine, _ = fine_and_group_probabilities(placed, temperature=1.2)
    assert fine[:, FINE_CLASSES.index("BLAST")].max() == 0
    assert torch.allclose(fine.sum(1), torch.ones(2))


def test_a_release_in_another_order_is_put_in_taxonomy_order():
    network = build_classifier("resnet18", 2).eval()
    model = TaxonomyOrder(network, ["SNE", "BA"]).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        own, placed = network(x), model(x)
    assert placed[0, FINE_CLASSES.index("SNE")] == own[0, 0]
    assert placed[0, FINE_CLASSES.index("BA")] == own[0, 1]


def test_widening_keeps_the_known_rows_and_takes_the_new_ones_from_a_fresh_network():
    old = build_classifier("resnet18", len(NORMAL_FINE_CLASSES)).state_dict()
    fresh = build_classifier("resnet18")
    widened = widen_head(old, list(NORMAL_FINE_CLASSES), fresh)
    assert widened["fc.weight"].shape[0] == len(FINE_CLASSES)
    assert torch.equal(widened["fc.weight"][: len(NORMAL_FINE_CLASSES)], old["fc.weight"])
    blast = FINE_CLASSES.index("BLAST")
    assert torch.equal(widened["fc.bias"][blast], fresh.state_dict()["fc.bias"][blast])
    build_classifier("resnet18").load_state_dict(widened)
