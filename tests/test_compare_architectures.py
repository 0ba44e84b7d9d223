"""The architecture comparison reads finished runs from scratch and nothing else."""

import json

import pytest

from bcds_core.training.run_state import RunState
from scripts.compare_architectures import run_summary


def _run(folder, epochs_done: int, init_from=None):
    run = RunState(folder)
    run.record_phase({"epochs": 2, "lr": 0.002}, init_from)
    for epoch in range(epochs_done):
        run.record({"epoch": epoch, "seconds": 600.0, "val_acc8": 0.9 + epoch / 100, "val_acc11": 0.8})
    (folder / "release").mkdir()
    views = {"1": {"acc8": 0.91, "acc11": 0.8}, "4": {"acc8": 0.93, "acc11": 0.85}}
    config = {"arch": "resnet34", "input_side": 128, "tta_views": 4, "tta_validation": views}
    (folder / "release" / "config.json").write_text(json.dumps(config))


def test_summary_reports_cpu_minutes_and_the_released_validation_accuracy(tmp_path):
    _run(tmp_path / "compare_resnet34", epochs_done=2)
    summary = run_summary(tmp_path / "compare_resnet34")
    assert summary["training_minutes"] == 20.0
    assert summary["validation_release"] == {"acc8": 0.93, "acc11": 0.85}
    assert summary["validation_last_epoch"]["acc8"] == pytest.approx(0.91)


@pytest.mark.parametrize(("epochs_done", "init_from"), [(1, None), (2, "runs/classifier")])
def test_unfinished_or_fine_tuned_runs_are_refused(tmp_path, epochs_done, init_from):
    _run(tmp_path / "run", epochs_done, init_from)
    with pytest.raises(SystemExit):
        run_summary(tmp_path / "run")
