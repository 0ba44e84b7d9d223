"""Training data helpers: several caches read as one, stain augmentation."""

import numpy as np
import torch

from bcds_core.augment import camera_degradation, random_blur, stain_jitter
from bcds_core.image_cache import StackedArrays


def test_stacked_arrays_read_rows_across_parts_in_any_order():
    a = np.arange(12).reshape(4, 3)
    b = np.arange(100, 106).reshape(2, 3)
    stacked = StackedArrays([a, b])
    assert len(stacked) == 6 and stacked.shape == (6, 3)
    assert np.array_equal(stacked[np.array([5, 0, 3])], np.stack([b[1], a[0], a[3]]))
    assert np.array_equal(stacked[4], b[0])
    assert np.array_equal(stacked[:], np.concatenate([a, b]))


def test_stain_jitter_without_strength_keeps_the_image_and_otherwise_changes_colour_not_layout():
    torch.manual_seed(0)
    images = torch.empty(8, 3, 16, 16)
    images[:] = torch.tensor([0.95, 0.88, 0.85]).view(1, 3, 1, 1)  # slide
    images[:, :, 4:12, 4:12] = torch.tensor([0.35, 0.25, 0.55]).view(1, 3, 1, 1)  # nucleus
    assert torch.allclose(stain_jitter(images, 0.0, 0.0), images, atol=1e-5)
    changed = stain_jitter(images)
    assert changed.shape == images.shape and changed.min() >= 0 and changed.max() <= 1
    assert not torch.allclose(changed, images, atol=1e-3)
    grey = changed.mean(1)
    assert (grey[:, 8, 8] < grey[:, 0, 0] - 0.2).all()


def test_random_blur_softens_only_the_chosen_samples():
    torch.manual_seed(0)
    images = torch.zeros(8, 3, 15, 15)
    images[:, :, 7, 7] = 1.0
    blurred = random_blur(images, probability=1.0)
    assert (blurred[:, :, 7, 7] < 1.0).all()
    assert torch.equal(random_blur(images, probability=0.0), images)


def test_camera_degradation_loses_detail_and_contrast_only_in_the_chosen_samples():
    torch.manual_seed(0)
    images = torch.rand(4, 3, 64, 64)
    degraded = camera_degradation(images, probability=1.0, max_factor=4.0, min_contrast=0.5)
    assert degraded.shape == images.shape and 0.0 <= float(degraded.min()) <= float(degraded.max()) <= 1.0
    # pixel noise is detail: losing resolution and contrast shrinks its spread in every sample
    assert bool((degraded.std(dim=(1, 2, 3)) < images.std(dim=(1, 2, 3))).all())
    assert torch.equal(camera_degradation(images, probability=0.0), images)
