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
