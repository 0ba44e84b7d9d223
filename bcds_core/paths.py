"""Where things live, relative to the repository; nothing here is machine-specific.

The dataset folder defaults to ``../shared/data`` beside the checkout (the team's
layout) and can be moved with the ``BCDS_DATA_DIR`` environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEIGHTS_DIR = Path(os.environ.get("BCDS_WEIGHTS_DIR", REPO_ROOT / "weights"))
DATASET_DIR = REPO_ROOT / "dataset"
SAMPLES_DIR = REPO_ROOT / "samples"
REPORTS_DIR = REPO_ROOT / "reports"
#: Git-ignored working folder: decoded-image caches and per-epoch checkpoints.
CACHE_DIR = Path(os.environ.get("BCDS_CACHE_DIR", REPO_ROOT / ".cache"))
RUNS_DIR = REPO_ROOT / "runs"


def repo_relative(path: str | Path) -> str:
    """``path`` as logs and release configs record it: relative to the repository where it lies
    inside it (the recipe's starting release, say), so no machine's folders end up in the repo."""
    resolved = Path(path).resolve()
    return resolved.relative_to(REPO_ROOT).as_posix() if resolved.is_relative_to(REPO_ROOT) else str(path)


def data_root() -> Path:
    """Folder that holds ``pbc/`` and ``wbc_masks_cellavision/``."""
    return Path(os.environ.get("BCDS_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def pbc_root() -> Path:
    """The PBC dataset in its published layout ``<group>/<LABEL>_<id>.jpg``."""
    return data_root() / "pbc"


def expert_masks_root() -> Path:
    """The 50 expert whole-cell masks (``images/``, ``masks/``)."""
    return data_root() / "wbc_masks_cellavision"
