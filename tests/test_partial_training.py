"""Training from a later block on (``--train-from``): the blocks before it, their BatchNorm
statistics included, leave a fine-tune exactly as they came; the rest learns."""

import argparse
import json

import numpy as np
import pytest
import torch

from bcds_core.classifier.batchnorm import reestimate_batchnorm
from bcds_core.classifier.model import build_classifier
from bcds_core.commands import train_classifier as classifier_command
from bcds_core.training.epoch_loop import EpochLoop
from bcds_core.training.recipe import RecipeError, run_recipe
from bcds_core.training.run_state import RunState
from bcds_core.training.settings import ClassifierPhase, phase_settings
from bcds_core.training.train_classifier import freeze_before

IMAGES = torch.randn(8, 3, 64, 64, generator=torch.Generator().manual_seed(0))
LABELS = torch.arange(8) % 4


def fine_tune_from(block, directory):
    torch.manual_seed(0)
    model = build_classifier("resnet18", num_classes=4)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    frozen = freeze_before(model, block)
    optimiser = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ConstantLR(optimiser, factor=1.0)
    loop = EpochLoop(
        RunState(directory), model, optimiser, scheduler, batch_size=4, shuffle_seed=0, frozen=frozen
    )

    def loss_of(chosen):
        return torch.nn.functional.cross_entropy(model(IMAGES[chosen]), LABELS[chosen])

    loop.train_epoch(0, np.arange(len(IMAGES)), loss_of)
    after = model.state_dict()
    return {name for name, value in before.items() if not torch.equal(value, after[name])}


def test_blocks_before_the_first_trained_one_keep_weights_and_statistics(tmp_path):
    changed = fine_tune_from("layer3", tmp_path)
    early = ("conv1.", "bn1.", "layer1.", "layer2.")
    assert not {name for name in changed if name.startswith(early)}
    assert "layer2.1.bn2.running_mean" not in changed
    assert {
        "layer3.0.conv1.weight",
        "layer3.0.bn1.running_mean",
        "layer4.1.conv2.weight",
        "fc.weight",
    } <= changed


def test_without_a_first_block_every_block_trains(tmp_path):
    changed = fine_tune_from(None, tmp_path)
    assert {"conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "fc.weight"} <= changed


def test_an_unknown_block_is_refused_by_name():
    with pytest.raises(ValueError, match="no block 'layer9'"):
        freeze_before(build_classifier("resnet18"), "layer9")


def test_the_first_trained_block_is_recorded_and_needs_a_start(capsys):
    parser = argparse.ArgumentParser()
    classifier_command.add_arguments(parser)
    args = parser.parse_args(["--train-from", "layer3", "--init-from", "weights/classifier", "--epochs", "2"])
    args.view_choices = [1]
    assert phase_settings(ClassifierPhase, args).recorded() == {
        "epochs": 2,
        "lr": 2e-3,
        "train_from": "layer3",
    }
    for refused in (["--train-from", "layer3"], ["--train-from", "layer3", "--recipe", "r.json"]):
        assert classifier_command.run(parser.parse_args(refused)) == 2
        assert "--init-from" in capsys.readouterr().err
    assert classifier_command.run(parser.parse_args(["--soup", "a", "b", "--train-from", "layer3"])) == 2
    assert "takes no" in capsys.readouterr().err


def test_a_recipe_that_trains_from_a_later_block_needs_a_start(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"start": None, "phases": [{"run": "p", "args": {"train_from": "layer3"}}]}))
    with pytest.raises(RecipeError, match="names no start"):
        run_recipe(recipe, argparse.Namespace(out=str(tmp_path / "out")), train=None, runs=tmp_path)


def test_the_release_re_estimates_only_the_trained_blocks_statistics():
    """The release step may re-estimate BatchNorm statistics; a block the phase did not train keeps its own."""
    torch.manual_seed(0)
    model = build_classifier("resnet18", num_classes=4).eval()
    before = {name: value.clone() for name, value in model.state_dict().items() if "running_mean" in name}
    reestimate_batchnorm(model, [IMAGES + 2.0], keep=freeze_before(model, "layer3"))
    after = model.state_dict()
    changed = {name for name, value in before.items() if not torch.equal(value, after[name])}
    assert not {name for name in changed if name.startswith(("bn1.", "layer1.", "layer2."))}
    assert {"layer3.0.bn1.running_mean", "layer4.1.bn2.running_mean"} <= changed
