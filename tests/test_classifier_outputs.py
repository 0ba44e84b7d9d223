"""Releases with fewer classes than the taxonomy: outputs in taxonomy order, widened heads."""

import torch

from bcds_core.classifier.model import (
    ABSENT_LOGIT,
    ARCHITECTURES,
    TaxonomyOrder,
    build_classifier,
    fine_and_group_probabilities,
    widen_head,
)
from bcds_core.commands.train_classifier import ARCHITECTURE_NAMES
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


def test_the_groupnorm_variant_reads_each_image_alone():
    """No statistics carried from training: an image's logits do not depend on its batch, in train mode too."""
    torch.manual_seed(0)
    network = build_classifier("resnet18_gn").train()
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in network.modules())
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        alone, batched = network(x[:1]), network(x)[:1]
    assert torch.allclose(alone, batched, atol=1e-5)


def test_train_classifier_offers_every_architecture_and_no_other():
    assert sorted(ARCHITECTURE_NAMES) == sorted(ARCHITECTURES)
