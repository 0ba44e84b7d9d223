"""A released classifier as one versioned recipe: where it starts and every phase, run by one command.

``train-classifier --recipe recipes/NAME.json`` runs each phase in order with
the settings the file names, each from the previous phase's final weights,
and writes the release into ``--out``. The start is a named release: its
weights are taken from the git commit that shipped it (so the recipe still
reproduces after ``weights/`` moved on) and checked against its sha256, or
``null`` to train from scratch. A stopped run resumes: each phase keeps its
checkpoints in ``runs/<phase>``, and a phase whose release exists is skipped.
The last phase's release is ``--out``: a folder that holds a release the
recipe's own run did not make (the shipped ``weights/classifier`` on a clone)
is refused before anything trains, or it would be taken for a finished run.

A recipe may name ``ingredients``: other recipes, each run first (resumable
in the same way) into ``runs/<its last phase>/release``, or named releases,
written like a start and taken from their commit; the first phase releases
the mean of their weights (``--soup``) instead of training.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import tarfile
from pathlib import Path

from bcds_core.paths import REPO_ROOT, RUNS_DIR
from bcds_core.training.run_state import PHASE_FILE
from bcds_core.weights_io import CONFIG_FILE, read_config, sha256_of, write_sealed_json


class RecipeError(ValueError):
    """The recipe or its starting release cannot be used; the message says why."""


def read_recipe(path: Path) -> dict:
    try:
        recipe = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise RecipeError(f"Cannot read the recipe {path}: {error}") from error
    if not recipe.get("phases"):
        raise RecipeError(f"The recipe {path} lists no phases.")
    if not all(
        isinstance(p, dict) and isinstance(p.get("run"), str) and isinstance(p.get("args"), dict)
        for p in recipe["phases"]
    ):
        raise RecipeError(f'Each phase of the recipe {path} needs a "run" name and its "args".')
    return recipe


def starting_release(start: dict | None, runs: Path) -> Path | None:
    """The recipe's starting release, extracted from its git commit under ``runs`` and hash-checked."""
    if start is None:
        return None
    into = runs / f"recipe_start_{start['git_commit'][:12]}"
    if not (into / "config.json").exists():
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", start["git_commit"], start["release"]],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            raise RecipeError(
                f"Commit {start['git_commit'][:12]} is not in this clone's history: fetch it first."
            )
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    (into / Path(member.name).name).write_bytes(tar.extractfile(member).read())
        # Releases before sealed configs came in: the commit is the recipe's named, trusted source.
        config = json.loads((into / CONFIG_FILE).read_text())
        write_sealed_json(into / CONFIG_FILE, config)
    weights = into / read_config(into)["weights_file"]
    if not weights.exists() or sha256_of(weights) != start["weights_sha256"]:
        raise RecipeError(f"The starting release in {into} is not the one the recipe names.")
    return into


def phase_arguments(
    defaults: argparse.Namespace,
    phase: dict,
    init_from: Path | None,
    out: Path,
    runs: Path = RUNS_DIR,
    soup: tuple[Path, ...] = (),
) -> argparse.Namespace:
    """The arguments of one recipe phase: the command's defaults, then the recipe's settings
    (``train-classifier``'s, and ``train-unet``'s, which has no start or ingredients to name)."""
    settings = {**vars(defaults), **phase["args"], "recipe": None}
    settings.update(
        run_dir=str(runs / phase["run"]),
        init_from=str(init_from) if init_from else None,
        out=str(out),
        soup=[str(release) for release in soup],
    )
    return argparse.Namespace(**settings)


def ingredient_release(ingredient: str | dict, defaults: argparse.Namespace, train, runs: Path) -> Path:
    """A named release from its commit, or an ingredient recipe run into ``runs/<its last phase>/release``.

    A recipe's run is skipped where its release exists.
    """
    if isinstance(ingredient, dict):
        return starting_release(ingredient, runs)
    path = REPO_ROOT / ingredient
    out = runs / read_recipe(path)["phases"][-1]["run"] / "release"
    return run_recipe(path, argparse.Namespace(**{**vars(defaults), "out": str(out)}), train, runs)


def run_recipe(path: Path, defaults: argparse.Namespace, train, runs: Path = RUNS_DIR) -> Path:
    """Run every phase of the recipe with ``train(args)``; the last phase releases into ``defaults.out``.

    Returns:
        The release folder, for the steps the recipe lists ``after`` training.

    Raises:
        RecipeError: an unusable recipe or start, or a ``defaults.out`` holding a release that the
            recipe's last run did not make.
    """
    recipe = read_recipe(path)
    release, last_run = Path(defaults.out), runs / recipe["phases"][-1]["run"]
    if (release / "config.json").exists() and not (last_run / PHASE_FILE).exists():
        raise RecipeError(
            f"{release} already holds a release that this recipe's run ({last_run}) did not make: give "
            "another --out to train the recipe anew (the shipped release's folder would otherwise be "
            "taken for this run's, and nothing trained)."
        )
    ingredients = recipe.get("ingredients", [])
    if ingredients and recipe.get("start"):
        raise RecipeError(
            f"The recipe {path} names both a start and ingredients: a soup starts from its ingredients."
        )
    previous = starting_release(recipe.get("start"), runs)
    if recipe["phases"][0]["args"].get("train_from") and previous is None:
        raise RecipeError(
            f"The recipe {path} trains from a later block but names no start to keep the first ones of."
        )
    for number, phase in enumerate(recipe["phases"], start=1):
        last = number == len(recipe["phases"])
        out = Path(defaults.out) if last else runs / phase["run"] / "release"
        if not (out / "config.json").exists():
            soup = (
                tuple(ingredient_release(i, defaults, train, runs) for i in ingredients)
                if number == 1
                else ()
            )
            train(phase_arguments(defaults, phase, previous, out, runs, soup))
        previous = runs / phase["run"]
    return Path(defaults.out)
