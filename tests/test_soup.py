"""A soup releases the mean of its ingredients' weights; a recipe runs its ingredient recipes first."""

import argparse
import json
from pathlib import Path

import pytest
import torch

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.training.recipe import RecipeError, run_recipe
from bcds_core.training.run_state import RunState
from bcds_core.training.soup import mean_weights
from bcds_core.weights_io import WEIGHTS_FILE, WeightsError, read_config, save_released


def release_of(directory, value, classes=("A", "B")):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    torch.nn.init.constant_(model[0].weight, value)
    model[1].num_batches_tracked.fill_(int(value))
    phases = [{"run": f"phase_{value}", "history": []}]
    save_released(
        model.state_dict(), directory, {"arch": "x", "classes": list(classes), "training": {"phases": phases}}
    )
    return directory


def test_the_soup_is_the_mean_of_floating_weights_and_keeps_the_first_counters(tmp_path):
    soup = mean_weights([release_of(tmp_path / "a", 1.0), release_of(tmp_path / "b", 3.0)])
    torch.testing.assert_close(soup["0.weight"], torch.full((2, 3), 2.0))
    assert soup["1.num_batches_tracked"].item() == 1


def test_a_changed_ingredient_or_one_of_other_classes_or_shapes_is_refused(tmp_path):
    first = release_of(tmp_path / "a", 1.0)
    with pytest.raises(WeightsError, match="one set of classes"):
        mean_weights([first, release_of(tmp_path / "b", 3.0, classes=("A", "C"))])
    wider = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.BatchNorm1d(2))
    save_released(wider.state_dict(), tmp_path / "w", {"arch": "x", "classes": ["A", "B"]})
    with pytest.raises(WeightsError, match="one set of classes"):
        mean_weights([first, tmp_path / "w"])
    changed = release_of(tmp_path / "c", 3.0)
    (changed / WEIGHTS_FILE).write_bytes((changed / WEIGHTS_FILE).read_bytes()[:-8])
    with pytest.raises(WeightsError):
        mean_weights([first, changed])


def test_a_soup_run_keeps_the_phases_behind_each_ingredient(tmp_path):
    ingredients = (str(release_of(tmp_path / "a", 1.0)), str(release_of(tmp_path / "b", 3.0)))
    run = RunState(tmp_path / "soup")
    run.record_phase({"soup": True}, None, ingredients)
    (phase,) = run.phases()
    assert [i["phases"][0]["run"] for i in phase["ingredients"]] == ["phase_1.0", "phase_3.0"]


def test_ingredient_recipes_run_first_and_the_first_phase_releases_their_mean(tmp_path):
    def recipe(name, phases, **more):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"name": name, "phases": phases, **more}))
        return str(path)

    first = recipe("one", [{"run": "one", "args": {"epochs": 2}}])
    second = recipe("two", [{"run": "two_a", "args": {}}, {"run": "two_b", "args": {}}])
    soup = recipe("soup", [{"run": "soup", "args": {}}], ingredients=[first, second])
    calls = []
    defaults = argparse.Namespace(epochs=14, out=str(tmp_path / "out"), recipe="x", init_from=None, soup=[])
    run_recipe(soup, defaults, calls.append, runs=tmp_path / "runs")
    assert [c.run_dir.rsplit("/", 1)[1] for c in calls] == ["one", "two_a", "two_b", "soup"]
    assert calls[0].out == str(tmp_path / "runs" / "one" / "release") and calls[0].soup == []
    assert calls[-1].soup == [
        str(tmp_path / "runs" / "one" / "release"),
        str(tmp_path / "runs" / "two_b" / "release"),
    ]
    assert calls[-1].out == str(tmp_path / "out")


def test_a_soup_recipe_takes_no_start_and_skips_its_ingredients_once_released(tmp_path):
    ingredient = tmp_path / "one.json"
    ingredient.write_text(json.dumps({"name": "one", "phases": [{"run": "one", "args": {}}]}))
    soup = {"name": "soup", "ingredients": [str(ingredient)], "phases": [{"run": "soup", "args": {}}]}
    path = tmp_path / "soup.json"
    path.write_text(json.dumps({**soup, "start": {"release": "weights/classifier"}}))
    defaults = argparse.Namespace(out=str(tmp_path / "out"), recipe="x", init_from=None, soup=[])
    with pytest.raises(RecipeError, match="both a start and ingredients"):
        run_recipe(path, defaults, lambda args: None, runs=tmp_path / "runs")
    path.write_text(json.dumps(soup))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "config.json").write_text("{}")
    (tmp_path / "runs" / "soup").mkdir(parents=True)
    (tmp_path / "runs" / "soup" / "phase.json").write_text("{}")  # the soup's run released it
    calls = []
    run_recipe(path, defaults, calls.append, runs=tmp_path / "runs")
    assert calls == []


def test_a_named_release_is_an_ingredient_taken_from_its_commit_and_hash_checked(tmp_path):
    sha = read_config(WEIGHTS_DIR / "unet")["weights_sha256"]
    named = {"release": "weights/unet", "git_commit": "HEAD", "weights_sha256": sha}
    soup = tmp_path / "soup.json"

    def run_soup(ingredient, runs):
        soup.write_text(
            json.dumps({"name": "s", "ingredients": [ingredient], "phases": [{"run": "s", "args": {}}]})
        )
        calls = []
        defaults = argparse.Namespace(out=str(tmp_path / "out"), recipe="x", init_from=None, soup=[])
        run_recipe(soup, defaults, calls.append, runs=tmp_path / runs)
        return calls

    try:
        (call,) = run_soup(named, "runs")
    except RecipeError as error:
        if "not in this clone's history" not in str(error):
            raise  # a hash that does not match is what this test is for
        pytest.skip(f"this clone has no committed weights/unet: {error}")
    (ingredient,) = call.soup
    assert read_config(Path(ingredient))["weights_sha256"] == sha
    with pytest.raises(RecipeError, match="not the one the recipe names"):
        run_soup({**named, "weights_sha256": "0" * 64}, "other_runs")
