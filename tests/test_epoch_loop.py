"""The shared epoch loop: a run stopped after an epoch and resumed ends where an uninterrupted one ends."""

import numpy as np
import torch

from bcds_core.training.epoch_loop import EpochLoop
from bcds_core.training.run_state import RunState

INPUTS = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
TARGETS = INPUTS @ torch.tensor([1.0, -2.0, 0.5])


def loop_in(directory, epochs=3):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=0.05, total_steps=epochs * 5)
    return EpochLoop(RunState(directory), model, optimiser, scheduler, batch_size=8, shuffle_seed=10)


def train(loop, epochs, kept_value):
    start, kept = loop.resume()

    def loss_of(chosen):
        # an augmentation's draws from the global generators, as classifier_batch makes them
        jitter = 1 + 0.1 * torch.rand(1) + 0.1 * float(np.random.rand())
        return torch.nn.functional.mse_loss(loop.model(INPUTS[chosen] * jitter).squeeze(1), TARGETS[chosen])

    for epoch in range(start, epochs):
        trained = loop.train_epoch(epoch, np.arange(len(INPUTS)), loss_of)
        loop.end_epoch(trained, {"val_score": float(epoch)}, best=kept_value + epoch)
    return start, kept


def test_a_resumed_run_matches_an_uninterrupted_one_augmentation_included_and_keeps_its_extras(tmp_path):
    straight = loop_in(tmp_path / "straight")
    train(straight, 3, kept_value=10.0)

    stopped = loop_in(tmp_path / "stopped")
    train(stopped, 1, kept_value=10.0)
    resumed = loop_in(tmp_path / "stopped")
    start, kept = train(resumed, 3, kept_value=10.0)

    assert start == 1 and kept == {"best": 10.0}
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value)
    history = resumed.run.history()
    assert [m["epoch"] for m in history] == [0, 1, 2]
    assert history[0]["loss"] > history[-1]["loss"]
    assert {"seconds", "val_score"} <= set(history[-1])
    assert "resumed after epoch 0" in resumed.run.log_path.read_text()


def test_a_fresh_run_starts_at_epoch_zero_with_nothing_kept(tmp_path):
    assert loop_in(tmp_path).resume() == (0, {})
