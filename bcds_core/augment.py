"""Batch augmentations in torch, cheap enough for CPU training.

Cells have no orientation, so every sample gets a free rotation, a flip and a
small scale change; the sampling grid also does the crop
(``input_tensors.crop_grid``), so geometry costs one ``grid_sample``. Colour
jitter (brightness, contrast, saturation, per-channel gain) stops the models
from learning the JPEG pipeline that saved a subset of the classes with
another colour balance.

Other labs' stains and microscopes differ far more than that. ``stain_jitter``
rescales and shifts the haematoxylin, eosin and residual stain densities of
each sample independently (Tellez et al. 2019, "HED" augmentation; the stain
vectors are scikit-image's), and ``random_blur`` imitates a softer focus, so a
model learns the cell's shape and texture rather than one lab's colours.
``camera_degradation`` imitates an ordinary microscope camera: fewer pixels
per cell (resolution lost, then the image enlarged back) and a washed-out,
lower-contrast picture, as in the BCCD images.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from skimage.color import hed_from_rgb, rgb_from_hed
from torchvision.transforms.v2.functional import gaussian_blur

#: Stain matrices (optical density RGB <-> haematoxylin, eosin, DAB), float32 for torch.
HED_FROM_RGB = torch.from_numpy(hed_from_rgb.astype("float32"))
RGB_FROM_HED = torch.from_numpy(rgb_from_hed.astype("float32"))
#: Smallest transmitted light kept before taking the optical density (log of 0 is undefined).
MIN_TRANSMISSION = 1.0 / 255


def colour_jitter(images: torch.Tensor, strength: float = 1.0) -> torch.Tensor:
    """Random photometric change per sample.

    Args:
        images: Bx3xHxW float RGB in [0, 1].
        strength: 0 disables, 1 is the training default.

    Returns:
        Tensor of the same shape, clamped to [0, 1].
    """
    batch = images.shape[0]

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        centre, half = (low + high) / 2, (high - low) / 2 * strength
        return centre + (torch.rand(batch, *shape) * 2 - 1) * half

    grey = images.mean(dim=1, keepdim=True)
    images = grey + (images - grey) * uniform(0.75, 1.25, 1, 1, 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = mean + (images - mean) * uniform(0.85, 1.15, 1, 1, 1)
    images = images * uniform(0.88, 1.12, 1, 1, 1) * uniform(0.93, 1.07, 3, 1, 1)
    return images.clamp(0.0, 1.0)


def stain_jitter(images: torch.Tensor, scale_sigma: float = 0.25, shift_sigma: float = 0.05) -> torch.Tensor:
    """Random change of each stain's density per sample.

    Each pixel's optical density is split into stain densities, each stain is
    scaled by a factor in 1 +- ``scale_sigma`` and shifted by +- ``shift_sigma``,
    and the image is put back together.

    Args:
        images: Bx3xHxW float RGB in [0, 1].

    Returns:
        Tensor of the same shape, clamped to [0, 1].
    """
    batch = images.shape[0]
    density = -torch.log(images.clamp(MIN_TRANSMISSION, 1.0))
    stains = torch.einsum("bchw,cs->bshw", density, HED_FROM_RGB)
    factor = 1 + (torch.rand(batch, 3, 1, 1) * 2 - 1) * scale_sigma
    shift = (torch.rand(batch, 3, 1, 1) * 2 - 1) * shift_sigma
    density = torch.einsum("bshw,sc->bchw", stains * factor + shift, RGB_FROM_HED)
    return torch.exp(-density.clamp_min(0.0)).clamp(0.0, 1.0)


def random_blur(images: torch.Tensor, probability: float = 0.4, max_sigma: float = 2.0) -> torch.Tensor:
    """Gaussian blur of a random share of the samples, one random sigma for the batch (out of focus)."""
    chosen = torch.rand(images.shape[0]) < probability
    if not chosen.any():
        return images
    sigma = float(0.5 + torch.rand(1) * (max_sigma - 0.5))
    kernel = 2 * math.ceil(2 * sigma) + 1
    blurred = images.clone()
    blurred[chosen] = gaussian_blur(images[chosen], [kernel, kernel], [sigma, sigma])
    return blurred


def camera_degradation(
    images: torch.Tensor, probability: float = 0.5, max_factor: float = 3.0, min_contrast: float = 0.6
) -> torch.Tensor:
    """A coarser, washed-out camera for a random share of the samples.

    Each chosen sample loses resolution by a factor in [1, ``max_factor``] per side
    (area-downsampled, then enlarged back bilinearly) and its contrast around the
    sample's mean is scaled by a factor in [``min_contrast``, 1].
    """
    chosen = torch.nonzero(torch.rand(images.shape[0]) < probability).flatten()
    if len(chosen) == 0:
        return images
    out = images.clone()
    side = images.shape[-1]
    for i in chosen.tolist():
        small = max(8, round(side / float(1 + torch.rand(1) * (max_factor - 1))))
        sample = F.interpolate(images[i : i + 1], size=(small, small), mode="area")
        sample = F.interpolate(sample, size=(side, side), mode="bilinear", align_corners=False)
        mean = sample.mean(dim=(1, 2, 3), keepdim=True)
        contrast = min_contrast + float(torch.rand(1)) * (1 - min_contrast)
        out[i] = (mean + (sample - mean) * contrast)[0]
    return out.clamp(0.0, 1.0)


def elastic_offsets(grid: torch.Tensor, magnitude: float = 0.03, coarse: int = 4) -> torch.Tensor:
    """Add a smooth random displacement field to a sampling grid (elastic deformation)."""
    batch, height, width, _ = grid.shape
    noise = (torch.rand(batch, 2, coarse, coarse) * 2 - 1) * magnitude
    field = F.interpolate(noise, size=(height, width), mode="bicubic", align_corners=False)
    return grid + field.permute(0, 2, 3, 1)


def random_geometry(batch: int, scale_range: tuple[float, float]) -> dict[str, torch.Tensor]:
    """Random rotation (any angle), flip and zoom for ``input_tensors.crop_grid``."""
    low, high = scale_range
    return {
        "angles": torch.rand(batch) * 2 * math.pi,
        "flips": torch.rand(batch) < 0.5,
        "scales": low + torch.rand(batch) * (high - low),
    }
