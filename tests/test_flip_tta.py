"""Test-time augmentation averages the logits of the flipped views."""

import pytest
import torch

from bcds_core.classifier.model import build_classifier
from bcds_core.flip_tta import FLIP_VIEWS, averaged_logits


def test_one_view_is_the_plain_model_and_four_views_the_mean_over_flips():
    torch.manual_seed(0)
    model = build_classifier("resnet18").eval()
    inputs = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        assert torch.equal(averaged_logits(model, inputs, 1), model(inputs))
        expected = torch.stack([model(inputs.flip(a) if a else inputs) for a in FLIP_VIEWS]).mean(0)
        torch.testing.assert_close(averaged_logits(model, inputs, 4), expected, rtol=1e-4, atol=1e-4)


def test_the_averaged_answer_does_not_depend_on_the_cells_orientation():
    torch.manual_seed(0)
    model = build_classifier("resnet18").eval()
    inputs = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        upright, flipped = averaged_logits(model, inputs, 4), averaged_logits(model, inputs.flip(3), 4)
    torch.testing.assert_close(upright, flipped, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("views", [0, 5])
def test_views_out_of_range_are_refused(views):
    with pytest.raises(ValueError, match="views"):
        averaged_logits(torch.nn.Identity(), torch.zeros(1, 3, 8, 8), views)


def test_dense_maps_are_flipped_back_onto_the_input_before_averaging():
    inputs = torch.arange(2 * 1 * 4 * 5, dtype=torch.float32).view(2, 1, 4, 5)
    identity = torch.nn.Identity()
    torch.testing.assert_close(averaged_logits(identity, inputs, 4, dense=True), inputs)
    assert not torch.allclose(averaged_logits(identity, inputs, 2), inputs)
