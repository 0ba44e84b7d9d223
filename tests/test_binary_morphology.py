"""OpenCV's binary morphology gives scipy.ndimage's pixels, borders included."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from bcds_core.binary_morphology import binary_closing, binary_dilation, binary_fill_holes, binary_opening


@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_the_same_pixels_as_scipy(iterations):
    rng = np.random.default_rng(iterations)
    for _ in range(30):
        height, width = rng.integers(5, 120, 2)
        mask = ndi.binary_dilation(rng.random((height, width)) < rng.uniform(0.02, 0.5), iterations=2)
        np.testing.assert_array_equal(
            binary_opening(mask, iterations), ndi.binary_opening(mask, iterations=iterations)
        )
        np.testing.assert_array_equal(
            binary_closing(mask, iterations), ndi.binary_closing(mask, iterations=iterations)
        )
        np.testing.assert_array_equal(
            binary_dilation(mask, iterations), ndi.binary_dilation(mask, iterations=iterations)
        )


def test_closing_erodes_foreground_at_the_border_as_scipy_does():
    full = np.ones((12, 12), bool)
    closed = binary_closing(full, 2)
    assert not closed[0].any() and closed[6, 6]


def test_the_same_holes_filled_as_scipy():
    rng = np.random.default_rng(0)
    for _ in range(100):
        height, width = rng.integers(1, 120, 2)
        mask = rng.random((height, width)) < rng.uniform(0.05, 0.7)
        np.testing.assert_array_equal(binary_fill_holes(mask), ndi.binary_fill_holes(mask))


def test_a_ring_is_filled_and_a_gap_to_the_border_is_not():
    ring = np.zeros((9, 9), bool)
    ring[2:7, 2:7] = True
    ring[3:6, 3:6] = False
    assert binary_fill_holes(ring)[4, 4]
    ring[4, 2] = False
    ring[4, 0:2] = False
    assert not binary_fill_holes(ring)[4, 4]
