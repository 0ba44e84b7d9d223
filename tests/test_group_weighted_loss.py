"""The extra group term of the training loss: -log P(true group), counted ``group_weight`` more times."""

import torch

from bcds_core.classifier.model import allowed_set_nll, build_classifier, group_sets
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP
from bcds_core.training.train_classifier import batch_loss


def one_hot(*labels: str) -> torch.Tensor:
    allowed = torch.zeros(len(labels), len(FINE_CLASSES), dtype=torch.bool)
    for row, label in enumerate(labels):
        allowed[row, FINE_CLASSES.index(label)] = True
    return allowed


def test_a_fine_label_widens_to_every_fine_class_of_its_group():
    widened = group_sets(one_hot("MY", "LY"))
    assert {c for c, on in zip(FINE_CLASSES, widened[0], strict=True) if on} == {
        c for c in FINE_CLASSES if FINE_TO_GROUP[c] == FINE_TO_GROUP["MY"]
    }
    assert {c for c, on in zip(FINE_CLASSES, widened[1], strict=True) if on} == {"LY"}


def test_the_group_term_adds_group_weight_times_the_group_nll_and_scales_a_group_only_label():
    torch.manual_seed(0)
    model = build_classifier("resnet18").eval()
    x = torch.randn(3, 3, 64, 64)
    allowed = one_hot("MY", "SNE", "LY")
    allowed[1] = group_sets(allowed[1:2])[0]  # a label that names only the neutrophil group
    weights = torch.ones(3)
    with torch.no_grad():
        logits = model(x)
        plain = batch_loss(model, x, allowed, weights)
        weighted = batch_loss(model, x, allowed, weights, group_weight=0.5)

    group_nll = allowed_set_nll(logits, group_sets(allowed))
    expected = (allowed_set_nll(logits, allowed) + 0.5 * group_nll).mean()
    assert torch.allclose(weighted, expected, atol=1e-5)
    assert weighted > plain
    # for the group-only label the fine-set and group terms are one and the same
    assert torch.allclose(group_nll[1], allowed_set_nll(logits, allowed)[1])
