"""The classifier's input: the masked cell, cropped around its centre.

Training (with augmentation) and inference build the input with the same
function, so what the model learned on is what it is shown. Outside the
dilated cell mask every pixel is the dataset mean (zero after
normalisation): the classifier sees the cell, not its neighbours.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bcds_core.augment import camera_degradation, colour_jitter, random_blur, random_geometry, stain_jitter
from bcds_core.input_tensors import crop_grid, normalise_pixels
from bcds_core.preprocessing import WORKING_SCALE, scaled_pixels

#: Mask dilation kernels (working pixels) drawn in training; inference uses the config's.
TRAIN_DILATION_KERNELS = (1, 3, 5, 7, 9)
#: Wider kernels drawn with ``wide_masks``: on other microscopes the U-Net's mask can stop at the
#: nucleus or inside the cytoplasm, and a classifier trained on such wide margins can be read
#: through a dilation that restores the rest of the cell (``mask_dilation`` chosen on validation).
WIDE_TRAIN_DILATION_KERNELS = (1, 3, 5, 7, 9, 13, 19, 25, 31)
#: Largest random shift of the crop centre in training, working pixels.
TRAIN_CENTRE_SHIFT = 4
#: Zoom range drawn in training; a wider one (``stain=True``) covers the error of a pixel size
#: estimated from the image.
TRAIN_ZOOM = (0.9, 1.1)
WIDE_TRAIN_ZOOM = (0.8, 1.25)


def classifier_batch(
    images: np.ndarray,
    masks: np.ndarray,
    centres: np.ndarray,
    config: dict,
    augment: bool = False,
    stain: bool = False,
    camera: tuple[float, float] | None = None,
    wide_masks: bool = False,
) -> torch.Tensor:
    """Build a normalised, masked, cropped NCHW batch.

    Args:
        images: BxSxSx3 uint8 RGB at the config's ``scale`` (square canvases).
        masks: BxSxS uint8/bool cell masks.
        centres: Bx2 (x, y) cell centres in canvas pixels.
        config: the classifier config (``mean``, ``std``, ``input_side``, ``scale``,
            ``mask_dilation`` in pixels at that scale).
        augment: random colour, rotation, flip, zoom, shift and mask dilation.
        stain: with ``augment``, also random stain densities and focus, and a wider zoom
            (training for other labs' stains, microscopes and pixel sizes).
        camera: with ``augment``, (share, max_factor): that share of the samples gets a coarser,
            washed-out camera, losing up to ``max_factor`` of its resolution per side.
        wide_masks: with ``augment``, draw the mask dilation from ``WIDE_TRAIN_DILATION_KERNELS``.

    Returns:
        Bx3xCxC float32 (channels_last), C = ``config["input_side"]``.
    """
    # np.require copies only a read-only (memory-mapped cache) or strided batch
    x = torch.from_numpy(np.require(images, requirements="CW")).permute(0, 3, 1, 2).float() / 255.0
    m = torch.from_numpy(np.require(masks, requirements="CW")).float().unsqueeze(1)
    centres_t = torch.from_numpy(np.asarray(centres, dtype=np.float32))
    batch, side = x.shape[0], x.shape[-1]
    out = config["input_side"]
    if not augment:
        m = dilated(m, config["mask_dilation"])
        grid = crop_grid(centres_t, side, out, out)
        x = F.grid_sample(normalise_pixels(x, config) * m, grid, align_corners=False, padding_mode="zeros")
        return x.contiguous(memory_format=torch.channels_last)
    # Training crops first and changes colours on the crop alone: half the pixels of the canvas.
    kernels = WIDE_TRAIN_DILATION_KERNELS if wide_masks else TRAIN_DILATION_KERNELS
    m = dilated(m, scaled_pixels(int(np.random.choice(kernels)), config["scale"]))
    shift = TRAIN_CENTRE_SHIFT * config["scale"] / WORKING_SCALE
    centres_t = centres_t + (torch.rand(batch, 2) * 2 - 1) * shift
    geometry = random_geometry(batch, WIDE_TRAIN_ZOOM if stain else TRAIN_ZOOM)
    grid = crop_grid(centres_t, side, out, out, **geometry)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    m = F.grid_sample(m, grid, align_corners=False, padding_mode="zeros")
    if stain:
        x = random_blur(stain_jitter(x))
    if camera:
        share, max_factor = camera
        x = camera_degradation(x, probability=share, max_factor=max_factor)
    x = normalise_pixels(colour_jitter(x), config) * m
    return x.contiguous(memory_format=torch.channels_last)


def dilated(masks: torch.Tensor, kernel: int) -> torch.Tensor:
    """Bx1xSxS masks grown by a square ``kernel`` (odd pixels; 1 keeps them).

    A square maximum is separable: a row pass then a column pass costs 2k per pixel, not k^2
    (the wide kernels of ``wide_masks`` reach 61 pixels at full scale).
    """
    if kernel <= 1:
        return masks
    rows = F.max_pool2d(masks, (1, kernel), stride=1, padding=(0, kernel // 2))
    return F.max_pool2d(rows, (kernel, 1), stride=1, padding=(kernel // 2, 0))
