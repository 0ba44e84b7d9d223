"""Test-time augmentation: the classifier's logits averaged over flipped views.

A cell on a slide has no up, down, left or right, and the network was trained
on randomly flipped and rotated cells; averaging its logits over the four flips
of the input removes the orientation noise of a single look. The release step
measures on the validation split whether it helps and records the number of
views in the classifier config (``tta_views``; 1 means a single plain look).
"""

from __future__ import annotations

import torch

#: Flip axes (of an NCHW tensor) of each view, in order; the first is the input itself.
FLIP_VIEWS: tuple[tuple[int, ...], ...] = ((), (3,), (2,), (2, 3))


def averaged_logits(model: torch.nn.Module, inputs: torch.Tensor, views: int = 1) -> torch.Tensor:
    """Mean logits of ``model`` over the first ``views`` of ``FLIP_VIEWS`` (1 to 4).

    All views go through the model as one batch, which is faster on a CPU than
    separate passes.
    """
    if not 1 <= views <= len(FLIP_VIEWS):
        raise ValueError(f"views must be 1 to {len(FLIP_VIEWS)}, not {views}")
    if views == 1:
        return model(inputs)
    flipped = [inputs.flip(axes) if axes else inputs for axes in FLIP_VIEWS[:views]]
    batch = torch.cat(flipped).contiguous(memory_format=torch.channels_last)
    return model(batch).view(views, len(inputs), -1).mean(dim=0)
