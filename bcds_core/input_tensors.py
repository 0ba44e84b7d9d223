"""What every model's input tensor shares: the crop around a centre and the normalisation.

``crop_grid`` is ``preprocessing.window`` for a torch batch: one ``grid_sample``
crops every sample around its own centre and, in training, also rotates,
flips and zooms it, so geometry costs a single resampling. ``normalise_pixels``
scales pixels by the mean and std a release's config holds
(``preprocessing.PIXEL_MEAN`` / ``PIXEL_STD`` when it was trained).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def normalise_pixels(images: torch.Tensor, config: dict) -> torch.Tensor:
    """Bx3xHxW float RGB in [0, 1] scaled by the config's ``mean`` and ``std`` (per channel)."""
    mean = torch.tensor(config["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(config["std"]).view(1, 3, 1, 1)
    return (images - mean) / std


def crop_grid(
    centres: torch.Tensor,
    source_side: int,
    window: int,
    out_side: int,
    angles: torch.Tensor | None = None,
    scales: torch.Tensor | None = None,
    flips: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sampling grid for ``grid_sample`` that crops ``out_side`` pixels around centres.

    Args:
        centres: Bx2 (x, y) in source pixels.
        source_side: side of the square source images.
        window: side of the cropped window, in source pixels at scale 1.
        out_side: side of the output, in pixels.
        angles: B rotations in radians (None: no rotation).
        scales: B zoom factors (>1 zooms in; None: 1).
        flips: B booleans, mirror horizontally (None: no flip).

    Returns:
        B x out_side x out_side x 2 grid in normalised coordinates (align_corners=False).
    """
    batch = centres.shape[0]
    angles = torch.zeros(batch) if angles is None else angles
    scales = torch.ones(batch) if scales is None else scales
    half_extent = window / source_side / scales
    cos, sin = torch.cos(angles) * half_extent, torch.sin(angles) * half_extent
    mirror = torch.ones(batch) if flips is None else 1.0 - 2.0 * flips.float()
    centre_norm = (centres + 0.5) / source_side * 2.0 - 1.0
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, centre_norm[:, 0]], dim=1),
            torch.stack([sin * mirror, cos, centre_norm[:, 1]], dim=1),
        ],
        dim=1,
    )
    return F.affine_grid(theta, [batch, 1, out_side, out_side], align_corners=False)
