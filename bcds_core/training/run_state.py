"""A training run's folder: log file, per-epoch checkpoint, resume.

Sessions on the team's machines stop without warning, so every epoch ends
with an atomic checkpoint and a restarted command picks up where it left off.
Checkpoints hold tensors and plain numbers only and load with
``weights_only=True``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from bcds_core.paths import REPO_ROOT, repo_relative
from bcds_core.weights_io import CONFIG_FILE, read_config

CHECKPOINT_FILE = "checkpoint.pt"
#: Key of a phase file that holds the phases of the release the run started from.
RELEASE_PHASES = "release_phases"
#: A run's settings and the run it started from, so a release can list every phase behind it.
PHASE_FILE = "phase.json"


#: Keys of a phase file that are not settings a resume must repeat.
NOT_SETTINGS = {"run", RELEASE_PHASES, "ingredients"}


class ResumeMismatch(ValueError):
    """A run is being resumed with settings other than those it started with."""


class RunState:
    """Log and checkpoint of one training run in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / "train.log"
        self.metrics_path = directory / "metrics.jsonl"

    def log(self, message: str) -> None:
        """Append a timestamped line to the log and echo it."""
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"
        print(line, flush=True)
        with open(self.log_path, "a") as handle:
            handle.write(line + "\n")

    def record(self, metrics: dict) -> None:
        """Append one epoch's metrics as a JSON line."""
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps(metrics) + "\n")

    def history(self) -> list[dict]:
        """All recorded epochs' metrics."""
        if not self.metrics_path.exists():
            return []
        return [json.loads(line) for line in self.metrics_path.read_text().splitlines() if line]

    def record_phase(self, settings: dict, init_from: str | None, ingredients: tuple[str, ...] = ()) -> None:
        """Remember this run's settings and parent at its first start; a resume must repeat them.

        A parent release's phases are copied in at the start, as the release
        folder may be overwritten by this very run's release. A soup's
        ``ingredients`` (release folders) are kept with the phases behind each.

        Raises:
            ResumeMismatch: the run was started with other settings or from another start, so its
                checkpoint would go on under settings its record does not show.
        """
        path = self.directory / PHASE_FILE
        if path.exists():
            recorded = json.loads(path.read_text())
            given = {**settings, "init_from": init_from and repo_relative(init_from)}
            changed = sorted(k for k in {*given, *recorded} - NOT_SETTINGS if given.get(k) != recorded.get(k))
            if changed:
                raise ResumeMismatch(
                    f"{repo_relative(self.directory)} was started with "
                    + ", ".join(f"{k}={recorded.get(k)}" for k in changed)
                    + "; resume it with the same settings, or give another --run-dir."
                )
        else:
            phase = {
                "run": self.directory.name,
                **settings,
                "init_from": init_from and repo_relative(init_from),
            }
            if init_from and is_release(Path(init_from)):
                phase[RELEASE_PHASES] = release_phases(Path(init_from))
            if ingredients:
                phase["ingredients"] = [
                    {"release": repo_relative(i), "phases": release_phases(Path(i))} for i in ingredients
                ]
            path.write_text(json.dumps(phase) + "\n")

    def phases(self) -> list[dict]:
        """Every training phase behind this run, oldest first, each with its validation history."""
        path = self.directory / PHASE_FILE
        phase = json.loads(path.read_text()) if path.exists() else {"run": self.directory.name}
        earlier = phase.pop(RELEASE_PHASES, None)
        if earlier is None:
            earlier = RunState(REPO_ROOT / phase["init_from"]).phases() if phase.get("init_from") else []
        return [*earlier, {**phase, "history": self.history()}]

    def save(self, state: dict) -> None:
        """Write the checkpoint atomically (never a half-written file)."""
        partial = self.directory / (CHECKPOINT_FILE + ".partial")
        torch.save(state, partial)
        partial.replace(self.directory / CHECKPOINT_FILE)

    def load(self) -> dict | None:
        """The last checkpoint, or None for a fresh run."""
        path = self.directory / CHECKPOINT_FILE
        return torch.load(path, weights_only=True) if path.exists() else None


def is_release(directory: Path) -> bool:
    """True for a release folder (``weights/classifier``): a config and weights, no run of its own."""
    return (directory / CONFIG_FILE).exists() and not (directory / PHASE_FILE).exists()


def release_phases(directory: Path) -> list[dict]:
    """The phases a release folder's config records as behind its weights.

    A release carries them so a new machine, which has no ``runs/``, can
    fine-tune the shipped weights and still list every phase behind the result.
    """
    return read_config(directory)["training"]["phases"]
