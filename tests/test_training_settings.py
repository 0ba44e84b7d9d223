"""Training settings: every option of the commands reaches a frozen phase, and the release
step keeps the widest mask dilation that validation allows."""

import argparse

import pytest
import torch

from bcds_core.commands import train_classifier as classifier_command
from bcds_core.commands import train_unet as unet_command
from bcds_core.training import train_classifier
from bcds_core.training.recipe import phase_arguments
from bcds_core.training.settings import ClassifierPhase, UNetPhase, phase_settings


def parsed(command, argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


def test_command_line_and_recipe_phases_become_frozen_settings(tmp_path):
    args = parsed(classifier_command, ["--sources", "pbc", "deepapl", "--stain-augment"])
    args.view_choices = [1]
    settings = phase_settings(ClassifierPhase, args)
    assert settings.sources == ("pbc", "deepapl") and settings.view_choices == (1,)
    assert settings.recorded() == {
        "epochs": 14,
        "lr": 2e-3,
        "sources": ["pbc", "deepapl"],
        "stain_augment": True,
    }
    with pytest.raises(AttributeError):
        settings.epochs = 1
    phase = {"run": "p", "args": {"mask_augment": True, "epochs": 3, "mask_source": "unet"}}
    from_recipe = phase_settings(ClassifierPhase, phase_arguments(args, phase, None, tmp_path, tmp_path))
    assert from_recipe.recorded()["mask_augment"] and from_recipe.run_dir == str(tmp_path / "p")
    assert phase_settings(UNetPhase, parsed(unet_command, ["--stain-augment"])).stain_augment
    wider = phase_settings(UNetPhase, parsed(unet_command, ["--stain-augment", "--stain-range", "0.6"]))
    assert (wider.stain_range, phase_settings(UNetPhase, parsed(unet_command, [])).stain_range) == (0.6, 0.35)


def test_another_seed_and_a_soup_are_recorded_with_the_phase():
    seeded = parsed(classifier_command, ["--seed", "1", "--epochs", "6"])
    assert phase_settings(ClassifierPhase, seeded).recorded() == {"epochs": 6, "lr": 2e-3, "seed": 1}
    soup = parsed(classifier_command, ["--soup", "a", "b"])
    assert phase_settings(ClassifierPhase, soup).recorded() == {"soup": True}


class FakeValidation:
    """Validation whose group accuracy depends on the mask dilation alone."""

    rows = [None]

    def __init__(self, accuracy_by_kernel):
        self.accuracy_by_kernel = accuracy_by_kernel

    def logits(self, model, config, views=1):
        return torch.tensor([[self.accuracy_by_kernel[config["mask_dilation"]]]], dtype=torch.float64)


@pytest.mark.parametrize(
    ("accuracy_by_kernel", "chosen"),
    [
        ({9: 0.980, 25: 0.9795, 41: 0.9792, 61: 0.975}, 41),
        ({9: 0.980, 25: 0.970, 41: 0.981, 61: 0.960}, 41),
        ({9: 0.980, 25: 0.975, 41: 0.975, 61: 0.975}, 9),
    ],
)
def test_the_widest_dilation_within_a_tenth_of_a_point_of_the_best_is_chosen(
    monkeypatch, accuracy_by_kernel, chosen
):
    monkeypatch.setattr(
        train_classifier, "accuracies", lambda logits, rows: {"acc8": float(logits[0, 0]), "acc11": 0.0}
    )
    config = {"scale": 1.0, "mask_dilation": 9}
    validation = FakeValidation(accuracy_by_kernel)
    plain = validation.logits(None, config)
    log = type("Log", (), {"log": lambda self, message: None})()
    chosen_config, logits, table = train_classifier.choose_mask_dilation(None, plain, validation, config, log)
    assert chosen_config["mask_dilation"] == chosen
    assert set(table) == {"9", "25", "41", "61"}
    assert float(logits[0, 0]) == accuracy_by_kernel[chosen]


def test_the_unet_recipe_reads_as_its_command_and_a_resume_must_repeat_it(tmp_path):
    """The shipped U-Net had no versioned recipe, and train-unet resumed under any settings."""
    import json

    from bcds_core.paths import REPO_ROOT, RUNS_DIR
    from bcds_core.training.recipe import RecipeError
    from bcds_core.training.run_state import ResumeMismatch, RunState

    args = parsed(unet_command, ["--recipe", str(REPO_ROOT / "recipes/unet_stain.json")])
    settings = phase_settings(UNetPhase, unet_command.with_recipe(args))
    assert (settings.stain_augment, settings.stain_range, settings.epochs) == (True, 0.35, 8)
    assert not settings.train_slide_balance and settings.run_dir == str(RUNS_DIR / "unet_stain")
    assert settings.out == str(RUNS_DIR / "unet_stain" / "release")  # never weights/unet by default
    assert phase_settings(UNetPhase, parsed(unet_command, [])).train_slide_balance

    recipe = tmp_path / "unet.json"
    recipe.write_text(json.dumps({"phases": [{"run": "u", "args": {"stain_agument": True}}]}))
    with pytest.raises(RecipeError, match="stain_agument"):
        unet_command.with_recipe(parsed(unet_command, ["--recipe", str(recipe)]))

    run = RunState(tmp_path / "run")
    run.record_phase(settings.recorded(), None)
    balanced = phase_settings(UNetPhase, parsed(unet_command, ["--stain-augment", "--epochs", "8"]))
    with pytest.raises(ResumeMismatch, match="train_slide_balance"):
        run.record_phase(balanced.recorded(), None)
