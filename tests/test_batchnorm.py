"""Re-estimated BatchNorm statistics are the plain average over the given images."""

import torch

from bcds_core.classifier.batchnorm import reestimate_batchnorm


def test_statistics_become_the_average_over_all_batches_and_the_model_is_left_in_eval_mode():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1, bias=False), torch.nn.BatchNorm2d(1))
    torch.nn.init.ones_(model[0].weight)
    batches = [torch.full((2, 1, 3, 3), 1.0), torch.full((2, 1, 3, 3), 3.0), torch.full((4, 1, 3, 3), 8.0)]
    reestimate_batchnorm(model, batches)
    # equal-weight mean of the batch means (momentum None: cumulative average over batches)
    torch.testing.assert_close(model[1].running_mean, torch.tensor([4.0]))
    assert not model.training
    before = model(torch.full((1, 1, 3, 3), 4.0))
    torch.testing.assert_close(before, torch.zeros_like(before), atol=1e-3, rtol=0)


def test_the_copy_is_taken_under_the_lock_and_the_statistics_passes_run_without_it():
    """A lab's fit must not stall every other session's answers for the length of its passes."""
    import threading

    from bcds_core.classifier.batchnorm import adapted_copy

    lock = threading.Lock()
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
    held_in_passes = []
    model.register_forward_pre_hook(lambda module, inputs: held_in_passes.append(lock.locked()))
    adapted = adapted_copy(model, torch.randn(8, 3, 4, 4), batch_size=4, lock=lock)
    assert held_in_passes == [False, False] and not lock.locked()
    assert not torch.equal(adapted[1].running_mean, model[1].running_mean)
