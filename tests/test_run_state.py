"""A fine-tuning phase can start from a release folder, as on a new machine without runs/."""

import json

import pytest
import torch

from bcds_core.training.run_state import RunState
from bcds_core.training.train_classifier import starting_weights
from bcds_core.weights_io import WEIGHTS_FILE, WeightsError, save_released

EARLIER = [{"run": "classifier", "epochs": 9, "init_from": None, "history": [{"epoch": 0, "val_acc8": 0.6}]}]


@pytest.fixture
def release(tmp_path):
    model = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(model.weight, 0.5)
    save_released(model.state_dict(), tmp_path / "release", {"training": {"phases": EARLIER}})
    return tmp_path / "release"


def test_a_phase_from_a_release_starts_from_its_weights(release):
    weights = starting_weights(release, torch.nn.Linear(3, 2))
    torch.testing.assert_close(weights["weight"], torch.full((2, 3), 0.5))


def test_a_changed_release_is_refused(release):
    (release / WEIGHTS_FILE).write_bytes((release / WEIGHTS_FILE).read_bytes()[:-8])
    with pytest.raises(WeightsError):
        starting_weights(release, torch.nn.Linear(3, 2))


def test_a_phase_from_a_release_lists_the_release_phases_even_after_it_is_overwritten(tmp_path, release):
    run = RunState(tmp_path / "phase9")
    run.record_phase({"epochs": 2, "lr": 2e-4}, str(release))
    run.record({"epoch": 0, "val_acc8": 0.99})
    config = json.loads((release / "config.json").read_text())
    config["training"]["phases"] = [{"run": "something else"}]
    (release / "config.json").write_text(json.dumps(config))
    phases = run.phases()
    assert phases[:-1] == EARLIER
    assert phases[-1] == {
        "run": "phase9",
        "epochs": 2,
        "lr": 2e-4,
        "init_from": str(release),
        "history": [{"epoch": 0, "val_acc8": 0.99}],
    }


def test_a_start_inside_the_repository_is_recorded_relative_to_it(tmp_path):
    from bcds_core.paths import RUNS_DIR

    run = RunState(tmp_path / "phase")
    run.record_phase({"epochs": 1}, str(RUNS_DIR / "recipe_start_0123456789ab"))
    recorded = json.loads((tmp_path / "phase" / "phase.json").read_text())
    assert recorded["init_from"] == "runs/recipe_start_0123456789ab"  # no machine's folders


def test_a_resume_with_the_settings_it_started_with_goes_on(tmp_path):
    run = RunState(tmp_path / "phase")
    run.record_phase({"epochs": 6, "lr": 4e-4, "seed": 1}, None)
    run.record_phase({"epochs": 6, "lr": 4e-4, "seed": 1}, None)
    assert json.loads((tmp_path / "phase" / "phase.json").read_text())["seed"] == 1


@pytest.mark.parametrize(
    ("settings", "init_from", "named"),
    [
        ({"epochs": 6, "lr": 4e-4}, None, "seed=1"),  # the seed left out (seed 0 is not recorded)
        ({"epochs": 6, "lr": 4e-4, "seed": 2}, None, "seed=1"),
        ({"epochs": 8, "lr": 4e-4, "seed": 1}, None, "epochs=6"),
        ({"epochs": 6, "lr": 4e-4, "seed": 1}, "runs/elsewhere", "init_from=None"),
    ],
)
def test_a_resume_with_other_settings_is_refused_naming_what_changed(tmp_path, settings, init_from, named):
    from bcds_core.training.run_state import ResumeMismatch

    run = RunState(tmp_path / "phase")
    run.record_phase({"epochs": 6, "lr": 4e-4, "seed": 1}, None)
    with pytest.raises(ResumeMismatch, match=named):
        run.record_phase(settings, init_from)


def test_train_classifier_refuses_such_a_resume_with_a_message(tmp_path, capsys):
    from bcds_core.cli import main

    run = RunState(tmp_path / "phase")
    run.record_phase({"epochs": 6, "lr": 4e-4, "seed": 1}, None)
    code = main(["train-classifier", "--run-dir", str(tmp_path / "phase"), "--epochs", "6", "--lr", "4e-4"])
    assert code == 2
    assert "was started with seed=1" in capsys.readouterr().err
