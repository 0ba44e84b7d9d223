"""Micrometres per pixel: red cells as a ruler, and the image at the classifier's pixel size.

A tight 120-px crop of a neutrophil and a 3600-px photo of an eosinophil look
alike to a network only once both show the cell at the pixel size it learned
on (PBC's CellaVision DM96, ``REFERENCE_PIXEL_UM``). Normal red cells are 7-8
micrometres across in every lab, so their diameter in pixels gives the pixel
size of any smear image that shows a few of them (``estimate_pixel_size``).
Where none are measurable, the image is assumed to be at the CellaVision pixel
size, unless the cell then fills the frame: a tight crop of one cell, assumed
to span ``TIGHT_CROP_SIDE_UM`` (``tight_crop_pixel_size``; the analyzer decides
from the U-Net's mask). The user may also give the pixel size.

An assumed pixel size is founded only when the image has the size of a
CellaVision single-cell image (``cellavision_frame``): a crop from another
lab's analyser or a camera photo may be at any pixel size, and size is much of
what tells one white cell from another, so its answer is left for a person to
check (``PixelSize.unfounded``) unless the pixel size is given. Whatever the
pixel size's source, ``PixelSize.cellavision_frame`` says whether the upload is
of the kind bcds learned from: only then, or through a lab profile, can an
answer be ``ok`` (``status.review_reasons``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max

from bcds_core.binary_morphology import binary_closing, binary_fill_holes, binary_opening
from bcds_core.segmentation.derived_masks import dark_pixels

#: Diameter of a normal red cell on a dried, stained smear, micrometres.
RED_CELL_DIAMETER_UM = 7.5
#: Median red-cell diameter of PBC images, pixels, measured by ``red_cell_diameter``
#: (``docs/pixel_size.md``): the pixel size the classifier and U-Net were trained at.
REFERENCE_RED_CELL_PX = 71.0
REFERENCE_PIXEL_UM = RED_CELL_DIAMETER_UM / REFERENCE_RED_CELL_PX
#: Estimates within this ratio of the reference are read as the reference: red cells of one
#: CellaVision vary this much between donors and images (PBC's 10th-90th percentile).
REFERENCE_TOLERANCE = 0.12
#: The two red-cell measures must agree within this ratio for the ruler to count.
RULER_AGREEMENT = 0.25
#: A tight crop (cell bounding box plus margin) of a 10-15 um white cell spans about this much.
TIGHT_CROP_SIDE_UM = 15.0
#: Red cells needed for a ruler.
MIN_RED_CELLS = 3
#: Longest side the ruler is measured at; larger images are shrunk first.
RULER_SIDE = 512
#: Smallest red-cell radius, pixels at the ruler's side, that counts as a measurement.
MIN_RULER_RADIUS = 4
#: Below this diameter (pixels at the ruler's side) the Hough circles come out too small.
SMALL_RED_CELL_PX = 40
#: Shorter side, pixels, of the single-cell images a CellaVision DM96 exports (PBC and DeepAPL:
#: 360x363, 366x369, 360x360, 360x365; a few DeepAPL images are up to 512 wide).
CELLAVISION_SHORT_SIDE = (355, 372)
#: Longest CellaVision single-cell image, as a multiple of its shorter side.
CELLAVISION_MAX_ASPECT = 1.5
#: Sources of a pixel size, as reported in ``predict``'s ``pixel_size_source``.
GIVEN, ESTIMATED, ASSUMED = "given", "estimated", "assumed"


@dataclass(frozen=True)
class PixelSize:
    """The pixel size used for an image and where it came from.

    Attributes:
        um: micrometres per pixel of the original image.
        source: ``given`` (by the user), ``estimated`` (red cells), or ``assumed``.
        tight_crop: the image was taken for a tight crop of one cell.
        cellavision_frame: the upload has the size of a CellaVision single-cell image, the only
            kind of image bcds was trained on (whatever the pixel size's source).
    """

    um: float
    source: str
    tight_crop: bool = False
    cellavision_frame: bool = False

    @property
    def unfounded(self) -> bool:
        """Assumed (not for a tight crop) for an image that is not a CellaVision frame."""
        return self.source == ASSUMED and not self.tight_crop and not self.cellavision_frame

    @property
    def scale_to_reference(self) -> float:
        """Factor that resizes the image to the reference pixel size."""
        return self.um / REFERENCE_PIXEL_UM


def shrink(rgb: np.ndarray, longest_side: int) -> tuple[np.ndarray, float]:
    """The image with its longest side at most ``longest_side`` (area interpolation), and the factor applied."""
    factor = min(1.0, longest_side / max(rgb.shape[:2]))
    if factor == 1.0:
        return rgb, 1.0
    size = (max(1, round(rgb.shape[1] * factor)), max(1, round(rgb.shape[0] * factor)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), factor


def slide_pixels(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: bright, unstained slide (Otsu on green splits slide from everything stained)."""
    green = rgb[..., 1]
    threshold, _ = cv2.threshold(green, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return green > threshold


def circle_radii(rgb: np.ndarray, slide: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Radii of red-cell outlines found by the Hough transform.

    A circle counts when it is stained inside (not a bright pallor or glare
    spot), holds no nucleus, and does not lie inside a circle 1.5 times larger
    (the pallor of a red cell whose outline was found too). ``slide`` and
    ``dark``: ``slide_pixels`` and ``dark_pixels`` of ``rgb``.
    """
    green = cv2.GaussianBlur(rgb[..., 1], (0, 0), 1.5)
    found = cv2.HoughCircles(
        green,
        cv2.HOUGH_GRADIENT_ALT,
        dp=1.5,
        minDist=6,
        param1=150,
        param2=0.75,
        minRadius=MIN_RULER_RADIUS,
        maxRadius=int(0.3 * min(green.shape)),
    )
    if found is None:
        return np.zeros(0)
    circles = found[0]
    circles = circles[[_stained_without_nucleus(slide, dark, *circle) for circle in circles]]
    apart = np.hypot(*(circles[:, None, :2] - circles[None, :, :2]).transpose(2, 0, 1))
    nested = ((apart < circles[None, :, 2]) & (circles[None, :, 2] > 1.5 * circles[:, None, 2])).any(1)
    return circles[~nested, 2]


def _stained_without_nucleus(slide: np.ndarray, dark: np.ndarray, x: float, y: float, r: float) -> bool:
    """Whether the disc at (x, y) of radius r is mostly stained and holds almost no nucleus
    (measured over the disc's bounding box only: the ruler tests dozens of circles)."""
    top, left = max(0, int(y - r)), max(0, int(x - r))
    bottom, right = int(y + r) + 1, int(x + r) + 1
    rows, cols = np.ogrid[top:bottom, left:right]
    inside = (cols - x) ** 2 + (rows - y) ** 2 <= r * r
    inside = inside[: slide.shape[0] - top, : slide.shape[1] - left]
    return (
        slide[top:bottom, left:right][inside].mean() < 0.5
        and dark[top:bottom, left:right][inside].mean() < 0.1
    )


def distance_radii(slide: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Radii of red cells as distance-transform peaks of the stained, non-nucleated regions.

    Each local maximum of the distance to the slide is a red cell's centre and
    its value the cell's radius, also where red cells touch. Peaks nearer the
    border than their radius belong to cut cells and are left out. ``slide`` and
    ``dark``: ``slide_pixels`` and ``dark_pixels`` of the image.
    """
    stained = binary_opening(~slide, iterations=2)
    stained = binary_fill_holes(binary_closing(stained, iterations=3))
    labels, _ = ndi.label(stained)
    nucleated = np.unique(labels[dark & stained])
    red = stained & ~np.isin(labels, nucleated[nucleated > 0])
    outside_is_red = np.pad(red, 1, constant_values=True).astype(np.uint8)
    distance = cv2.distanceTransform(outside_is_red, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    peaks = peak_local_max(distance, min_distance=MIN_RULER_RADIUS, threshold_abs=MIN_RULER_RADIUS)
    if len(peaks) == 0:
        return np.zeros(0)
    radii = distance[peaks[:, 0], peaks[:, 1]]
    height, width = red.shape
    to_border = np.minimum.reduce(
        [peaks[:, 0], peaks[:, 1], height - 1 - peaks[:, 0], width - 1 - peaks[:, 1]]
    )
    return radii[to_border >= radii]


def red_cell_diameter(rgb: np.ndarray, side: int = RULER_SIDE) -> float | None:
    """Red-cell diameter in pixels of ``rgb``, or None where the image gives no reliable ruler.

    Two measures with different failure modes must agree: the median Hough
    circle (exact on round red cells, fooled by crenated or overlapping ones)
    and the 90th percentile of distance peaks (robust to shape, biased low by
    cells pressed together). Where they disagree the image is not measured.
    Red cells under ``SMALL_RED_CELL_PX`` at ``side`` are measured again at
    twice the side, as far as the image goes.
    """
    small, factor = shrink(rgb, side)
    slide, dark = slide_pixels(small), dark_pixels(small)
    circles, peaks = circle_radii(small, slide, dark), distance_radii(slide, dark)
    if len(circles) < MIN_RED_CELLS or len(peaks) < MIN_RED_CELLS:
        return None
    by_circles, by_peaks = 2 * float(np.median(circles)), 2 * float(np.percentile(peaks, 90))
    if by_circles < SMALL_RED_CELL_PX and factor < 1:
        return red_cell_diameter(rgb, 2 * side)
    if abs(by_circles / by_peaks - 1) > RULER_AGREEMENT:
        return None
    return by_circles / factor


def cellavision_frame(height: int, width: int) -> bool:
    """Whether an image of ``height`` x ``width`` pixels has the size of a CellaVision single-cell image."""
    short, long = sorted((height, width))
    return (
        CELLAVISION_SHORT_SIDE[0] <= short <= CELLAVISION_SHORT_SIDE[1]
        and long <= CELLAVISION_MAX_ASPECT * short
    )


def estimate_pixel_size(
    rgb: np.ndarray, given_um: float | None = None, file_shape: tuple[int, int] | None = None
) -> PixelSize:
    """The pixel size to read ``rgb`` at: given, estimated from red cells, or assumed.

    ``file_shape``: (height, width) of the uploaded file where ``rgb`` was shrunk from it;
    an assumed pixel size is founded only on a CellaVision frame.
    """
    frame = cellavision_frame(*(file_shape or rgb.shape[:2]))
    if given_um is not None:
        return PixelSize(given_um, GIVEN, cellavision_frame=frame)
    diameter = red_cell_diameter(rgb)
    if diameter is not None:
        ratio = REFERENCE_RED_CELL_PX / diameter
        um = REFERENCE_PIXEL_UM if abs(ratio - 1) <= REFERENCE_TOLERANCE else RED_CELL_DIAMETER_UM / diameter
        return PixelSize(um, ESTIMATED, cellavision_frame=frame)
    return PixelSize(REFERENCE_PIXEL_UM, ASSUMED, cellavision_frame=frame)


def tight_crop_pixel_size(height: int, width: int) -> PixelSize:
    """The pixel size of a tight crop of one cell: its shorter side spans ``TIGHT_CROP_SIDE_UM``."""
    return PixelSize(TIGHT_CROP_SIDE_UM / min(height, width), ASSUMED, tight_crop=True)
