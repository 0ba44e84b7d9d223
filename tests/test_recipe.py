"""A recipe runs its phases in order from a named, hash-checked start, and resumes past finished ones."""

import argparse
import json

import pytest

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.training.recipe import RecipeError, run_recipe, starting_release
from bcds_core.weights_io import read_config


def write_recipe(path, start=None):
    phases = [{"run": "a", "args": {"epochs": 2, "lr": 0.001}}, {"run": "b", "args": {"epochs": 3}}]
    path.write_text(json.dumps({"name": "test", "start": start, "phases": phases}))
    return path


def test_phases_run_in_order_each_from_the_previous_and_the_last_releases(tmp_path):
    calls = []

    def train(args):
        calls.append(args)
        (tmp_path / "out").mkdir(exist_ok=True)

    defaults = argparse.Namespace(epochs=14, lr=0.002, out=str(tmp_path / "out"), recipe="x", init_from=None)
    run_recipe(write_recipe(tmp_path / "r.json"), defaults, train, runs=tmp_path / "runs")
    assert [(c.epochs, c.lr) for c in calls] == [(2, 0.001), (3, 0.002)]
    assert calls[0].init_from is None and calls[1].init_from == str(tmp_path / "runs" / "a")
    assert calls[1].out == str(tmp_path / "out") and calls[0].recipe is None


def test_a_phase_without_its_run_or_args_is_refused_in_words(tmp_path):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"name": "test", "phases": [{"args": {"epochs": 2}}]}))
    with pytest.raises(RecipeError, match="needs a"):
        run_recipe(recipe, argparse.Namespace(out=str(tmp_path / "out")), lambda args: None, runs=tmp_path)


def test_a_finished_phase_is_not_run_again(tmp_path):
    (tmp_path / "runs" / "a" / "release").mkdir(parents=True)
    (tmp_path / "runs" / "a" / "release" / "config.json").write_text("{}")
    calls = []
    defaults = argparse.Namespace(out=str(tmp_path / "out"), recipe="x")
    run_recipe(write_recipe(tmp_path / "r.json"), defaults, calls.append, runs=tmp_path / "runs")
    assert [c.run_dir for c in calls] == [str(tmp_path / "runs" / "b")]


def test_the_start_comes_from_its_git_commit_and_must_match_its_hash(tmp_path):
    sha = read_config(WEIGHTS_DIR / "unet")["weights_sha256"]
    start = {"release": "weights/unet", "git_commit": "HEAD", "weights_sha256": sha}
    try:
        extracted = starting_release(start, tmp_path / "start")
    except RecipeError as error:
        if "not in this clone's history" not in str(error):
            raise  # a hash that does not match is what this test is for
        pytest.skip(f"this clone has no committed weights/unet: {error}")
    assert read_config(extracted)["weights_sha256"] == sha
    with pytest.raises(RecipeError, match="not the one"):
        starting_release({**start, "weights_sha256": "0" * 64}, tmp_path / "start")


def test_a_release_the_recipe_did_not_make_is_not_taken_for_its_own(tmp_path):
    """--out weights/classifier on a clone trained nothing: the shipped release's config was taken for
    the last phase's, and only the answer checks were fitted again."""
    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped" / "config.json").write_text("{}")
    calls = []
    defaults = argparse.Namespace(out=str(tmp_path / "shipped"), recipe="x")
    with pytest.raises(RecipeError, match="did not make"):
        run_recipe(write_recipe(tmp_path / "r.json"), defaults, calls.append, runs=tmp_path / "runs")
    assert calls == []  # refused before the first phase trains
    (tmp_path / "runs" / "b").mkdir(parents=True)
    (tmp_path / "runs" / "b" / "phase.json").write_text("{}")  # this recipe's run released it: resume
    assert run_recipe(write_recipe(tmp_path / "r.json"), defaults, calls.append, runs=tmp_path / "runs")
