import json
import shutil

import pytest
import torch

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.weights_io import CONFIG_FILE, WeightsError, load_released, save_released, sha256_of


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


def copy_of_shipped(tmp_path):
    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    return weights


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda w: (w / "classifier" / "config.json").write_text("{not json"), "not valid JSON"),
        (
            lambda w: (w / "classifier" / "config.json").write_text(
                (w / "classifier" / "config.json")
                .read_text()
                .replace('"review_threshold": 0.', '"review_threshold": 0.0')
            ),
            "edited",
        ),
        (lambda w: (w / "domain_check.json").unlink(), "missing"),
        (
            lambda w: (w / "domain_check.json").write_text(
                (w / "domain_check.json").read_text().replace('"threshold": ', '"threshold": 1')
            ),
            "edited",
        ),
        (lambda w: (w / "unet" / "config.json").unlink(), "train it first"),
    ],
)
def test_every_damaged_release_file_is_one_clear_weights_error(tmp_path, damage, expected):
    from bcds_core.analysis import CellAnalyzer

    weights = copy_of_shipped(tmp_path)
    damage(weights)
    with pytest.raises(WeightsError, match=expected):
        CellAnalyzer(weights, device="cpu")


def test_a_truncated_file_with_a_recomputed_hash_is_a_weights_error(tmp_path):
    import json

    from bcds_core.weights_io import write_sealed_json

    weights = copy_of_shipped(tmp_path)
    path = weights / "unet" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    config = json.loads((weights / "unet" / "config.json").read_text())
    write_sealed_json(weights / "unet" / "config.json", {**config, "weights_sha256": sha256_of(path)})
    with pytest.raises(WeightsError, match="cannot be read"):
        load_released(weights / "unet")


def test_a_sealed_config_without_a_needed_key_is_a_weights_error(tmp_path):
    import json

    from bcds_core.classifier.model import load_classifier
    from bcds_core.weights_io import write_sealed_json

    weights = copy_of_shipped(tmp_path)
    config = json.loads((weights / "classifier" / "config.json").read_text())
    del config["temperature"]
    write_sealed_json(weights / "classifier" / "config.json", config)
    with pytest.raises(WeightsError, match="lacks temperature"):
        load_classifier(weights / "classifier")


def _strings(value):
    if isinstance(value, dict):
        yield from (s for v in value.values() for s in _strings(v))
    elif isinstance(value, list):
        yield from (s for v in value for s in _strings(v))
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("model", ["classifier", "unet"])
def test_a_shipped_config_names_no_absolute_path_of_the_machine_that_trained_it(model):
    path = WEIGHTS_DIR / model / CONFIG_FILE
    if not path.exists():
        pytest.skip(f"this clone has no weights/{model}")
    absolute = [s for s in _strings(json.loads(path.read_text())) if s.startswith("/")]
    assert absolute == []
