"""Shared fixtures: the shipped samples, a synthetic cell and the analyzer on the shipped weights."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bcds_core.paths import SAMPLES_DIR, WEIGHTS_DIR


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    """The shipped sample images (one or more per class)."""
    paths = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    assert paths, "samples/ must ship example images"
    return paths


@pytest.fixture(scope="session")
def cell_rgb() -> np.ndarray:
    """A synthetic cell-like RGB image (pink slide, purple round cell), 360x363."""
    rows, cols = np.mgrid[:363, :360]
    image = np.empty((363, 360, 3), np.uint8)
    image[...] = (250, 225, 200)
    image[np.hypot(rows - 181, cols - 180) < 60] = (90, 60, 140)
    return image


@pytest.fixture(scope="session")
def analyzer():
    from bcds_core.analysis import CellAnalyzer

    if not (WEIGHTS_DIR / "classifier" / "config.json").exists():
        pytest.skip("no released classifier in weights/")
    return CellAnalyzer(device="cpu")
