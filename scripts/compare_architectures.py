"""Summarise classifier runs trained from scratch on equal CPU budgets into one JSON for the model card.

The issue asks whether another architecture gives better accuracy per CPU-hour
than the published ResNet-34. Each run is a plain `train-classifier` run from
scratch (same data, augmentation, schedule shape and peak lr), with the epochs
set so the runs take about the same CPU time; this script only reads their
folders, so the card shows what the runs measured and nothing else.

Usage: .venv/bin/python -m scripts.compare_architectures RUN_DIR [RUN_DIR ...]
Writes weights/classifier/architecture_comparison.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bcds_core.paths import WEIGHTS_DIR
from bcds_core.training.run_state import RunState
from bcds_core.weights_io import CONFIG_FILE

OUT = WEIGHTS_DIR / "classifier" / "architecture_comparison.json"


def run_summary(run_dir: Path) -> dict:
    """One run: settings, CPU time and validation accuracy at release (BatchNorm and flip views as chosen)."""
    phases = RunState(run_dir).phases()
    phase, history = phases[-1], phases[-1]["history"]
    if len(phases) != 1 or len(history) != phase.get("epochs"):
        raise SystemExit(f"{run_dir}: not a finished run from scratch")
    config = json.loads((run_dir / "release" / CONFIG_FILE).read_text())
    return {
        "run": phase["run"],
        "arch": config["arch"],
        "input_side": config["input_side"],
        "epochs": phase["epochs"],
        "peak_lr": phase["lr"],
        "training_minutes": round(sum(h["seconds"] for h in history) / 60, 1),
        "validation_last_epoch": {"acc8": history[-1]["val_acc8"], "acc11": history[-1]["val_acc11"]},
        "validation_release": config["tta_validation"][str(config["tta_views"])],
        "tta_views": config["tta_views"],
    }


if __name__ == "__main__":
    runs = [run_summary(Path(arg)) for arg in sys.argv[1:]]
    OUT.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    print(OUT.read_text())
