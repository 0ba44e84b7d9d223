import shutil

import pytest
import torch

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.weights_io import WeightsError, load_released, save_released, sha256_of


def test_round_trip_keeps_values_in_half_precision(tmp_path):
    state = {"w": torch.linspace(-1, 1, 10), "steps": torch.tensor(3)}
    digest = save_released(state, tmp_path / "m", {"arch": "x"})
    loaded, config = load_released(tmp_path / "m")
    assert config["weights_sha256"] == digest == sha256_of(tmp_path / "m" / "model.safetensors")
    assert loaded["w"].dtype == torch.float32
    assert torch.allclose(loaded["w"], state["w"], atol=1e-3)
    assert int(loaded["steps"]) == 3


def test_changed_or_truncated_weights_are_refused(tmp_path):
    save_released({"w": torch.ones(100)}, tmp_path / "m", {})
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(WeightsError, match="changed or truncated"):
        load_released(tmp_path / "m")


def test_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(WeightsError, match="train it first"):
        load_released(tmp_path / "nothing")


@pytest.mark.parametrize("model", ["unet", "classifier"])
def test_shipped_weights_match_their_model_card(model):
    card = (WEIGHTS_DIR / model / "MODEL_CARD.md").read_text()
    digest = sha256_of(WEIGHTS_DIR / model / "model.safetensors")
    assert digest in card
    assert (WEIGHTS_DIR / model / "model.safetensors").stat().st_size < 50 * 1024 * 1024


def test_tampered_copy_of_shipped_weights_is_refused(tmp_path):
    shutil.copytree(WEIGHTS_DIR / "unet", tmp_path / "unet")
    path = tmp_path / "unet" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError):
        load_released(tmp_path / "unet")
