"""Training masks derived without labels: GrabCut seeded by the central nucleus.

Every cell type in PBC has a dark, purple-stained centre (nucleus, platelet
granulomere, erythroblast nucleus) with green values far below the red cells
and the slide. The dark component nearest the image centre (plus lobes within
a few pixels) seeds GrabCut as sure foreground, other dark components and
everything far from the seed as sure background, so GrabCut's colour models
grow the seed to the whole central cell and stop at neighbouring red cells.

Known failure cases (see ``docs/masks.md``): pale, very large cytoplasm beyond
the prior radius is cut short (seen on higher-magnification images); a red
cell lying on top of the cell can be included; images without a dark centre
give no mask. ``mask_is_plausible`` screens the worst before training.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi

from bcds_core.binary_morphology import binary_opening

#: Dark pixels: green below this fraction of the image's median green.
DARK_FRACTION = 0.55
#: Smallest dark component (working pixels) that can seed a cell.
MIN_SEED_PIXELS = 15
#: Other dark components within this distance (pixels) are lobes of the same nucleus.
LOBE_DISTANCE = 12
GRABCUT_ITERATIONS = 4


def dark_pixels(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: nucleus-stained pixels of an HxWx3 uint8 RGB image (single specks removed)."""
    green = rgb[..., 1].astype(np.float32)
    return binary_opening(green < DARK_FRACTION * np.median(green), iterations=1)


def _central_seed(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The dark component nearest the centre (with its lobes) and all dark components."""
    dark = ndi.binary_closing(dark_pixels(rgb), iterations=3)
    labels, count = ndi.label(dark)
    if count == 0:
        return None
    height, width = dark.shape
    rows, cols = np.mgrid[:height, :width]
    to_centre = np.hypot(rows - height / 2, cols - width / 2)
    ids = np.arange(1, count + 1)
    sizes = ndi.sum_labels(np.ones_like(to_centre), labels, ids)
    nearest = np.where(sizes >= MIN_SEED_PIXELS, ndi.minimum(to_centre, labels, ids), np.inf)
    if not np.isfinite(nearest).any():
        return None
    seed = labels == ids[np.argmin(nearest)]
    close_to_seed = ndi.distance_transform_edt(~seed) < LOBE_DISTANCE
    lobes = np.unique(labels[close_to_seed & (labels > 0)])
    lobes = lobes[sizes[lobes - 1] >= MIN_SEED_PIXELS]
    return np.isin(labels, lobes), labels > 0


def derive_cell_mask(rgb: np.ndarray) -> np.ndarray | None:
    """Mask of the central cell of a PBC image at working scale.

    Args:
        rgb: HxWx3 uint8 RGB image at ``preprocessing.WORKING_SCALE``.

    Returns:
        HxW bool mask of the central cell, or None when no dark centre is found.
    """
    found = _central_seed(rgb)
    if found is None:
        return None
    seed, all_dark = found
    radius = np.sqrt(seed.sum() / np.pi)
    to_seed = ndi.distance_transform_edt(~seed)
    trimap = np.full(seed.shape, cv2.GC_PR_BGD, np.uint8)
    trimap[to_seed < 0.8 * radius + 8] = cv2.GC_PR_FGD
    trimap[to_seed > 1.2 * radius + 22] = cv2.GC_BGD
    trimap[all_dark & ~seed & (to_seed > 6)] = cv2.GC_BGD
    trimap[ndi.binary_erosion(seed, iterations=1)] = cv2.GC_FGD
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    cv2.grabCut(bgr, trimap, None, *models, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    cell = ndi.binary_opening((trimap == cv2.GC_FGD) | (trimap == cv2.GC_PR_FGD), iterations=2)
    labels, _ = ndi.label(cell)
    touching = np.unique(labels[seed & cell])
    touching = touching[touching > 0]
    if touching.size == 0:
        return None
    return ndi.binary_fill_holes(np.isin(labels, touching))


def mask_is_plausible(mask: np.ndarray | None) -> bool:
    """Screen a derived mask before it trains the U-Net: one compact, inner blob."""
    if mask is None or mask.sum() < 40:
        return False
    border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    area = mask.sum()
    hull_area = cv2.contourArea(cv2.convexHull(np.argwhere(mask)[:, ::-1].astype(np.int32).reshape(-1, 1, 2)))
    return not border.any() and area / max(hull_area, 1.0) > 0.85 and area < 0.35 * mask.size
