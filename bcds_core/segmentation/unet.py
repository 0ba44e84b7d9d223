"""The U-Net that masks the cell an image is about.

Built with segmentation_models_pytorch from names kept in ``config.json``, so
the released folder alone rebuilds it. It sees the whole image resized to
``input_side`` and answers one probability map; the mask is resized back to
the image's own size, whatever that size is. The release may average flipped
views (``tta_views`` in the config, chosen on derived validation masks), and
names the slide colour it reads images balanced to (``slide_rgb``,
``slide_balance``): a release without one reads the image as it came.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import segmentation_models_pytorch as smp
import torch

from bcds_core.flip_tta import averaged_logits
from bcds_core.input_tensors import normalise_pixels
from bcds_core.preprocessing import PIXEL_MEAN, PIXEL_STD
from bcds_core.slide_balance import REFERENCE_SLIDE_RGB, balanced_to_slide
from bcds_core.weights_io import WeightsError, load_into, load_released

#: Architecture of the shipped U-Net; training writes it into config.json.
DEFAULT_UNET_CONFIG = {
    "arch": "Unet",
    "encoder_name": "resnet18",
    "encoder_depth": 4,
    "decoder_channels": [128, 64, 32, 16],
    "input_side": 128,
    "mean": PIXEL_MEAN,
    "std": PIXEL_STD,
    "threshold": 0.5,
    "slide_rgb": list(REFERENCE_SLIDE_RGB),
}


#: Keys a U-Net release's config must hold for the masker.
UNET_CONFIG_KEYS = (
    "arch",
    "encoder_name",
    "encoder_depth",
    "decoder_channels",
    "input_side",
    "mean",
    "std",
    "threshold",
)


def build_unet(config: dict) -> torch.nn.Module:
    """An untrained U-Net from a config (no pretrained encoder: nothing is downloaded)."""
    return smp.create_model(
        config["arch"],
        encoder_name=config["encoder_name"],
        encoder_weights=None,
        encoder_depth=config["encoder_depth"],
        decoder_channels=config["decoder_channels"],
        in_channels=3,
        classes=1,
    )


def load_unet(directory: Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """The released U-Net, hash-checked, in eval mode, its weights channels_last like its inputs
    (``to_unet_input``): the same probabilities without a layout conversion per convolution."""
    state, config = load_released(directory, UNET_CONFIG_KEYS)
    try:
        model = build_unet(config)
    except (KeyError, TypeError, ValueError) as error:
        raise WeightsError(f"{directory.name}/config.json cannot rebuild the U-Net ({error}).") from error
    load_into(model, state, directory)
    return model.to(device, memory_format=torch.channels_last).eval(), config


def slide_balanced(rgb_images: list[np.ndarray], config: dict) -> list[np.ndarray]:
    """HxWx3 uint8 images balanced to the release's slide colour (as they came without one)."""
    reference = config.get("slide_rgb")
    return (
        rgb_images if reference is None else [balanced_to_slide(rgb, tuple(reference)) for rgb in rgb_images]
    )


def to_unet_input(rgb_images: list[np.ndarray], config: dict) -> torch.Tensor:
    """Balance, resize and normalise RGB uint8 images into an NCHW float batch."""
    side = config["input_side"]
    resized = np.stack(
        [
            cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA)
            for rgb in slide_balanced(rgb_images, config)
        ]
    )
    batch = torch.from_numpy(resized).permute(0, 3, 1, 2).float() / 255.0
    return normalise_pixels(batch, config).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict_probabilities(
    model: torch.nn.Module, rgb_images: list[np.ndarray], config: dict
) -> list[np.ndarray]:
    """Cell probability maps (float32 in [0, 1]) at each image's own size."""
    device = next(model.parameters()).device
    inputs = to_unet_input(rgb_images, config).to(device)
    logits = averaged_logits(model, inputs, int(config.get("tta_views", 1)), dense=True)
    probabilities = torch.sigmoid(logits[:, 0]).cpu().numpy()
    return [
        cv2.resize(p, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        for p, rgb in zip(probabilities, rgb_images, strict=True)
    ]
