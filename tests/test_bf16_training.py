"""Training under bfloat16 autocast: a float32 loss close to float32 training's, float32 gradients."""

import torch

from bcds_core.classifier.model import build_classifier
from bcds_core.taxonomy import FINE_CLASSES
from bcds_core.training.train_classifier import batch_loss


def test_a_bf16_batch_gives_a_float32_loss_near_the_float32_one_and_float32_gradients():
    torch.manual_seed(0)
    model = build_classifier("resnet18").eval()
    x = torch.randn(4, 3, 64, 64)
    allowed = torch.zeros(4, len(FINE_CLASSES), dtype=torch.bool)
    allowed[torch.arange(4), torch.tensor([0, 3, 5, 9])] = True
    allowed[1, 4] = True  # a group-only label allows several fine classes
    weights = torch.tensor([1.0, 0.5, 2.0, 1.0])

    plain = batch_loss(model, x, allowed, weights)
    mixed = batch_loss(model, x, allowed, weights, bf16=True)
    mixed.backward()

    assert mixed.dtype == torch.float32
    assert torch.isfinite(mixed)
    assert mixed.item() != plain.item()  # the forward pass really ran in bfloat16
    assert abs(mixed.item() - plain.item()) < 0.05 * plain.item()
    assert model.fc.weight.grad.dtype == torch.float32
    assert model.fc.weight.grad.abs().sum() > 0
