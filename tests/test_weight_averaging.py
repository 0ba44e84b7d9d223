"""A weight-averaging phase releases the mean of its epochs' weights, and warms up to a constant rate."""

import argparse

import torch
from torch.optim.swa_utils import AveragedModel

from bcds_core.training.train_classifier import learning_rate_schedule, released_weights


def test_a_checkpoint_releases_its_average_where_the_phase_averages():
    model = torch.nn.Linear(2, 1)
    averaged = AveragedModel(model, use_buffers=True)
    for value in (1.0, 3.0):
        torch.nn.init.constant_(model.weight, value)
        averaged.update_parameters(model)
    state = {"model": model.state_dict(), "averaged": averaged.state_dict()}
    released = released_weights(state)
    assert set(released) == set(model.state_dict())
    torch.testing.assert_close(released["weight"], torch.full((1, 2), 2.0))
    assert released_weights({"model": model.state_dict()})["weight"][0, 0] == 3.0


def test_averaging_warms_up_over_one_epoch_then_holds_the_rate_while_one_cycle_anneals():
    steps_per_epoch, epochs, lr = 10, 3, 1e-3
    rates = {}
    for average in (True, False):
        optimiser = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr)
        args = argparse.Namespace(average_weights=average, lr=lr, epochs=epochs)
        schedule = learning_rate_schedule(args, optimiser, steps_per_epoch)
        seen = []
        for _ in range(epochs * steps_per_epoch):
            seen.append(optimiser.param_groups[0]["lr"])
            optimiser.step()
            schedule.step()
        rates[average] = seen
    assert rates[True][0] == lr / steps_per_epoch
    assert rates[True][steps_per_epoch - 1 :] == [lr] * (epochs * steps_per_epoch - steps_per_epoch + 1)
    assert max(rates[False]) <= lr * 1.0001 and rates[False][-1] < lr / 100
