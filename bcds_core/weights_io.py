"""Released weights: safetensors beside a ``config.json``, checked by sha256.

A released model is a folder ``weights/<name>/`` with ``model.safetensors``
(half precision, so every file stays well under 50 MB), ``config.json`` (how to
rebuild the model, its preprocessing constants and the weights' sha256) and
``MODEL_CARD.md``. Safetensors holds tensors only: loading it never runs code.
A file whose hash differs from the config is refused with a clear error.

The config is sealed too: ``content_sha256`` is the hash of its own canonical
JSON without that field, so an edited temperature or threshold is refused like
edited weights. Every way a release can fail to load (missing, malformed,
edited, truncated, a key or a tensor missing) becomes one ``WeightsError``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
#: The field of a sealed JSON file that holds the hash of the rest.
SEAL_FIELD = "content_sha256"


class WeightsError(RuntimeError):
    """Weights are missing, changed or truncated; the message says which and where."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_hash(data: dict) -> str:
    """sha256 of a JSON object's canonical form, without its seal."""
    unsealed = {key: value for key, value in data.items() if key != SEAL_FIELD}
    return hashlib.sha256(json.dumps(unsealed, sort_keys=True).encode()).hexdigest()


def write_sealed_json(path: Path, data: dict) -> None:
    """Write ``data`` with its seal (``SEAL_FIELD``)."""
    path.write_text(json.dumps({**data, SEAL_FIELD: content_hash(data)}, indent=2) + "\n")


def read_sealed_json(path: Path) -> dict:
    """A sealed JSON object, checked.

    Raises:
        WeightsError: missing, malformed, unsealed or edited.
    """
    if not path.exists():
        raise WeightsError(
            f"{path.name} is missing from {path.parent}: restore weights/ from the repository."
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsError(f"{path.parent.name}/{path.name} is not valid JSON ({error}).") from error
    if not isinstance(data, dict) or data.get(SEAL_FIELD) != content_hash(data):
        raise WeightsError(
            f"{path.parent.name}/{path.name} was edited after release (its {SEAL_FIELD} does not match): "
            "restore it from the repository."
        )
    return data


def save_released(state_dict: dict[str, torch.Tensor], directory: Path, config: dict) -> str:
    """Write half-precision weights and a config (with their sha256) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    half = {
        key: (value.half() if value.is_floating_point() else value).contiguous()
        for key, value in state_dict.items()
    }
    save_file(half, str(directory / WEIGHTS_FILE))
    digest = sha256_of(directory / WEIGHTS_FILE)
    write_sealed_json(
        directory / CONFIG_FILE, {**config, "weights_file": WEIGHTS_FILE, "weights_sha256": digest}
    )
    return digest


def read_config(directory: Path, required: tuple[str, ...] = ()) -> dict:
    """The released model's checked config, with ``required`` keys; WeightsError otherwise."""
    if not (directory / CONFIG_FILE).exists():
        raise WeightsError(
            f"No trained model in {directory}: train it first (see README) or restore weights/."
        )
    config = read_sealed_json(directory / CONFIG_FILE)
    missing = [key for key in ("weights_file", "weights_sha256", *required) if key not in config]
    if missing:
        raise WeightsError(f"{directory.name}/{CONFIG_FILE} lacks {', '.join(missing)}.")
    return config


def load_released(directory: Path, required: tuple[str, ...] = ()) -> tuple[dict[str, torch.Tensor], dict]:
    """Load a released model's float32 state dict after checking its sha256.

    Raises:
        WeightsError: missing files, a config without ``required`` keys, or weights whose hash
            differs from the config.
    """
    config = read_config(directory, required)
    path = directory / config["weights_file"]
    if not path.exists():
        raise WeightsError(f"The weights file {path.name} is missing from {directory}.")
    digest = sha256_of(path)
    if digest != config["weights_sha256"]:
        raise WeightsError(
            f"{path.name} in {directory.name} has sha256 {digest[:12]}..., but its model card "
            f"expects {config['weights_sha256'][:12]}...: the file is changed or truncated."
        )
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"{path.name} in {directory.name} cannot be read ({error}).") from error
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, config


def load_into(model: torch.nn.Module, state: dict, directory: Path) -> None:
    """Load ``state`` into ``model``; a key or shape that does not fit is a WeightsError."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise WeightsError(f"The weights in {directory.name} do not fit its architecture: {error}") from error
