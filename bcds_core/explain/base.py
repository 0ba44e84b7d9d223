"""The explanation record and the post-processing every method shares."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from bcds_core.preprocessing import paste

if TYPE_CHECKING:
    from bcds_core.analysis import PreparedCell


@dataclass
class Explanation:
    """A heat map over the classifier's input crop of what drove the model towards ``target``.

    Attributes:
        method: registry name of the method.
        target: name of the fine class or group explained.
        crop_heat: CxC float32 in [0, 1] over the classifier's input crop.
        signed_crop: CxC float32 in [-1, 1] (LIME: for and against), else None.
        inside_mask_share: fraction of the heat that lies inside the cell mask.
        seconds: time the method took.
    """

    method: str
    target: str
    crop_heat: np.ndarray
    signed_crop: np.ndarray | None
    inside_mask_share: float
    seconds: float


@dataclass(frozen=True)
class CropPlacement:
    """Where the classifier's input crop lies on the original image.

    Attributes:
        centre: x, y of the crop's centre, in pixels at ``scale``.
        scale: pixels of the crop per original pixel.
        image_shape: height and width of the original image.
    """

    centre: tuple[int, int]
    scale: float
    image_shape: tuple[int, int]

    @classmethod
    def of(cls, cell: PreparedCell) -> CropPlacement:
        return cls(cell.centre, cell.scale, cell.image_shape)


@dataclass
class CellExplanation(Explanation):
    """An ``Explanation`` with where its crop lies, so the pages can show it on the original image.

    Only the crop's maps are kept (at most two of 256x256): the maps over the image are drawn
    from them when shown. Kept over the image, a photo's explanation would hold tens of MB
    (a 2048x1536 map is 12.6 MB), and a session keeps its latest 40.
    """

    placement: CropPlacement

    @classmethod
    def on_image(cls, explanation: Explanation, cell: PreparedCell) -> CellExplanation:
        """``explanation`` of the crop cut from ``cell``."""
        return cls(**vars(explanation), placement=CropPlacement.of(cell))

    @property
    def image_heat(self) -> np.ndarray:
        """HxW float32 in [0, 1] over the original image (0 outside the crop)."""
        return crop_to_image(self.crop_heat, self.placement)

    @property
    def signed_image_heat(self) -> np.ndarray | None:
        """HxW float32 in [-1, 1] where the method has a signed map, else None."""
        return None if self.signed_crop is None else crop_to_image(self.signed_crop, self.placement)


def finished_explanation(
    method: str,
    target: str,
    crop_heat: np.ndarray,
    crop_mask: np.ndarray,
    started: float,
    signed_crop: np.ndarray | None = None,
) -> Explanation:
    """The record of a method's crop heat: scored against the mask, timed.

    Args:
        method: registry name.
        target: name of the fine class or group explained.
        crop_heat: CxC map in [0, 1] over the classifier's input crop.
        crop_mask: CxC cell mask over the crop.
        started: ``time.perf_counter()`` when the method began.
        signed_crop: the signed map, for methods that have one.
    """
    return Explanation(
        method=method,
        target=target,
        crop_heat=crop_heat,
        signed_crop=signed_crop,
        inside_mask_share=inside_share(crop_heat, crop_mask),
        seconds=time.perf_counter() - started,
    )


def scaled_to_unit(heat: np.ndarray) -> np.ndarray:
    """Scale a non-negative map to [0, 1] (all-zero stays zero)."""
    heat = np.maximum(np.asarray(heat, np.float32), 0.0)
    top = float(heat.max())
    return heat / top if top > 0 else heat


def inside_share(crop_heat: np.ndarray, crop_mask: np.ndarray) -> float:
    """Share of the heat mass inside the mask (1.0 when there is no heat)."""
    total = float(crop_heat.sum())
    return float((crop_heat * crop_mask).sum() / total) if total > 0 else 1.0


def crop_to_image(crop_heat: np.ndarray, placement: CropPlacement) -> np.ndarray:
    """Place a CxC map of the classifier's input crop back on the original image."""
    side = crop_heat.shape[0]
    scale = 1.0 / placement.scale
    big = cv2.resize(crop_heat, (round(side * scale), round(side * scale)), interpolation=cv2.INTER_LINEAR)
    top = round((placement.centre[1] - side / 2) * scale)
    left = round((placement.centre[0] - side / 2) * scale)
    return paste(big.astype(np.float32, copy=False), top, left, *placement.image_shape)
