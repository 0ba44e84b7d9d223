"""IoU and Dice per image, and what an image with two empty masks scores."""

import numpy as np
import pytest
import torch

from bcds_core.segmentation.mask_overlap import mask_overlap


def test_overlap_is_the_plain_ratio_of_pixel_counts_per_image():
    rng = np.random.default_rng(0)
    predicted, truth = rng.random((2, 3, 9, 7)) < 0.5
    iou, dice = mask_overlap(torch.from_numpy(predicted), torch.from_numpy(truth))
    for i in range(3):
        inter, union = (predicted[i] & truth[i]).sum(), (predicted[i] | truth[i]).sum()
        assert float(iou[i]) == inter / union
        assert float(dice[i]) == 2 * inter / (predicted[i].sum() + truth[i].sum())


@pytest.mark.parametrize("empty", [0.0, 1.0])
def test_two_empty_masks_score_the_value_asked_for(empty):
    nothing = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    iou, dice = mask_overlap(nothing, nothing, empty=empty)
    assert float(iou[0]) == float(dice[0]) == empty
