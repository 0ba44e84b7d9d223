"""Test-time augmentation: a model's outputs averaged over flipped views of its input.

A cell on a slide has no up, down, left or right, and both networks were
trained on randomly flipped and rotated inputs; averaging over flips of the
input removes the orientation noise of a single look. Each release measures on
its validation split whether it helps and records the number of views in its
config (``tta_views``; 1 means a single plain look). Classifier logits are
averaged as they are; a segmentation map (``dense``) is flipped back onto the
input before averaging.
"""

from __future__ import annotations

import torch

#: Flip axes (of an NCHW tensor) of each view, in order; the first is the input itself.
FLIP_VIEWS: tuple[tuple[int, ...], ...] = ((), (3,), (2,), (2, 3))


def averaged_logits(
    model: torch.nn.Module, inputs: torch.Tensor, views: int = 1, dense: bool = False
) -> torch.Tensor:
    """Mean output of ``model`` over the first ``views`` of ``FLIP_VIEWS`` (1 to 4).

    All views go through the model as one batch, which is faster on a CPU than
    separate passes.

    Args:
        model: a classifier (NxK logits) or, with ``dense``, a segmenter (NxCxHxW logits).
        inputs: NCHW batch.
        views: how many flip views to average.
        dense: the output is a map aligned with the input, to be flipped back per view.
    """
    if not 1 <= views <= len(FLIP_VIEWS):
        raise ValueError(f"views must be 1 to {len(FLIP_VIEWS)}, not {views}")
    if views == 1:
        return model(inputs)
    flipped = [inputs.flip(axes) if axes else inputs for axes in FLIP_VIEWS[:views]]
    outputs = model(torch.cat(flipped).contiguous(memory_format=torch.channels_last))
    outputs = outputs.view(views, len(inputs), *outputs.shape[1:])
    if dense:
        outputs = torch.stack(
            [o.flip(axes) if axes else o for o, axes in zip(outputs, FLIP_VIEWS[:views], strict=True)]
        )
    return outputs.mean(dim=0)
