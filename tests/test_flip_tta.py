"""Test-time augmentation averages the logits of the flipped views."""

import pytest
import torch

from bcds_core.classifier.model import build_classifier
from bcds_core.flip_tta import FLIP_VIEWS, averaged_logits


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_classifier("resnet18").eval()


def test_one_view_is_the_plain_model_and_eight_views_the_mean_over_all_symmetries(model):
    inputs = torch.randn(2, 3, 64, 64)
    symmetries = [inputs.rot90(k, (2, 3)) for k in range(4)] + [
        inputs.transpose(2, 3).rot90(k, (2, 3)) for k in range(4)
    ]
    with torch.inference_mode():
        assert torch.equal(averaged_logits(model, inputs, 1), model(inputs))
        expected = torch.stack([model(view) for view in symmetries]).mean(0)
        torch.testing.assert_close(averaged_logits(model, inputs, 8), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "views, turn",
    [
        (4, lambda x: x.flip(3)),
        (4, lambda x: x.flip(2)),
        (8, lambda x: x.rot90(1, (2, 3))),
        (8, lambda x: x.transpose(2, 3)),
    ],
)
def test_the_averaged_answer_does_not_depend_on_the_cells_orientation(model, views, turn):
    inputs = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        upright, turned = averaged_logits(model, inputs, views), averaged_logits(model, turn(inputs), views)
    torch.testing.assert_close(upright, turned, rtol=1e-4, atol=1e-4)


def test_four_views_are_not_rotation_invariant_which_is_why_eight_exist(model):
    inputs = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        upright, turned = (
            averaged_logits(model, inputs, 4),
            averaged_logits(model, inputs.rot90(1, (2, 3)), 4),
        )
    assert not torch.allclose(upright, turned, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("views", [0, len(FLIP_VIEWS) + 1])
def test_views_out_of_range_are_refused(views):
    with pytest.raises(ValueError, match="views"):
        averaged_logits(torch.nn.Identity(), torch.zeros(1, 3, 8, 8), views)


def test_transposed_views_refuse_a_non_square_input():
    with pytest.raises(ValueError, match="square"):
        averaged_logits(torch.nn.Identity(), torch.zeros(1, 3, 8, 9), 8)


@pytest.mark.parametrize("views, side", [(4, (4, 5)), (8, (5, 5))])
def test_dense_maps_are_flipped_back_onto_the_input_before_averaging(views, side):
    inputs = torch.arange(2 * side[0] * side[1], dtype=torch.float32).view(2, 1, *side)
    identity = torch.nn.Identity()
    torch.testing.assert_close(averaged_logits(identity, inputs, views, dense=True), inputs)
    assert not torch.allclose(averaged_logits(identity, inputs, views), inputs)


@pytest.mark.parametrize("views", [1, 4, 8])
def test_a_plain_look_given_is_not_run_again_and_the_mean_is_the_same(model, views):
    inputs = torch.randn(2, 3, 64, 64)
    seen = []

    def counted(batch):
        seen.append(len(batch))
        return model(batch)

    with torch.inference_mode():
        plain = model(inputs)
        given = averaged_logits(counted, inputs, views, plain=plain)
        torch.testing.assert_close(given, averaged_logits(model, inputs, views), rtol=1e-5, atol=1e-5)
    assert sum(seen) == len(inputs) * (views - 1)
