"""Released weights: safetensors beside a ``config.json``, checked by sha256.

A released model is a folder ``weights/<name>/`` with ``model.safetensors``
(half precision, so every file stays well under 50 MB), ``config.json`` (how to
rebuild the model, its preprocessing constants and the weights' sha256) and
``MODEL_CARD.md``. Safetensors holds tensors only: loading it never runs code.
A file whose hash differs from the config is refused with a clear error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


class WeightsError(RuntimeError):
    """Weights are missing, changed or truncated; the message says which and where."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_released(state_dict: dict[str, torch.Tensor], directory: Path, config: dict) -> str:
    """Write half-precision weights and a config (with their sha256) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    half = {
        key: (value.half() if value.is_floating_point() else value).contiguous()
        for key, value in state_dict.items()
    }
    save_file(half, str(directory / WEIGHTS_FILE))
    digest = sha256_of(directory / WEIGHTS_FILE)
    config = {**config, "weights_file": WEIGHTS_FILE, "weights_sha256": digest}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    return digest


def read_config(directory: Path) -> dict:
    """The released model's config; WeightsError when it is not there."""
    path = directory / CONFIG_FILE
    if not path.exists():
        raise WeightsError(
            f"No trained model in {directory}: train it first (see README) or restore weights/."
        )
    return json.loads(path.read_text())


def load_released(directory: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Load a released model's float32 state dict after checking its sha256.

    Raises:
        WeightsError: missing files, or weights whose hash differs from the config.
    """
    config = read_config(directory)
    path = directory / config["weights_file"]
    if not path.exists():
        raise WeightsError(f"The weights file {path.name} is missing from {directory}.")
    digest = sha256_of(path)
    if digest != config["weights_sha256"]:
        raise WeightsError(
            f"{path.name} in {directory.name} has sha256 {digest[:12]}..., but its model card "
            f"expects {config['weights_sha256'][:12]}...: the file is changed or truncated."
        )
    state = load_file(str(path))
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, config
