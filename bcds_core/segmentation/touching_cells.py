"""Split one mask component where whole nucleated cells touch.

The U-Net masks the cell an image is about, but two cells that touch come out
as one component, and the classifier then reads both as one cell (on the PBC
test split, 4 of the 33 group errors were such pairs). Touching round cells
meet at a narrow neck: the distance transform of the component has one peak
per cell and a low saddle between them. The component is cut at every saddle
lower than ``NECK_RATIO`` times the smaller peak (a watershed of the distance
transform, merged back across wider necks), and it is only split into cells
where at least two parts hold a nucleus of their own and the part nearest the
image centre is one of them, so a cell is never cut from its own cytoplasm,
pseudopod or a red cell lying against it, and a small central cell (a
platelet) is never handed to a neighbour.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.segmentation import watershed

#: Parts stay one cell where the saddle of the distance transform between them
#: exceeds this fraction of the smaller part's peak (its inscribed radius).
NECK_RATIO = 0.6
#: Closest two distance peaks may lie, working pixels (a cell's radius is 20-45).
MIN_PEAK_DISTANCE = 5
#: Most peaks considered, highest first: bounds the merging on huge or ragged masks.
MAX_PEAKS = 16


def inside_distance(component: np.ndarray) -> np.ndarray:
    """Distance of each pixel of ``component`` to its outline; the image edge counts as outline."""
    return ndi.distance_transform_edt(np.pad(component, 1))[1:-1, 1:-1]


def _saddles(labels: np.ndarray, distance: np.ndarray, count: int) -> np.ndarray:
    """(count+1)^2 matrix: highest distance at which regions i and j meet (0 where they do not)."""
    saddles = np.zeros((count + 1, count + 1), np.float64)
    for a, b, da, db in (
        (labels[:, :-1], labels[:, 1:], distance[:, :-1], distance[:, 1:]),
        (labels[:-1, :], labels[1:, :], distance[:-1, :], distance[1:, :]),
    ):
        meet = (a != b) & (a > 0) & (b > 0)
        height = np.minimum(da[meet], db[meet])
        np.maximum.at(saddles, (a[meet], b[meet]), height)
        np.maximum.at(saddles, (b[meet], a[meet]), height)
    return saddles


def narrow_neck_parts(component: np.ndarray, distance: np.ndarray | None = None) -> list[np.ndarray]:
    """Parts of a boolean mask component separated by narrow necks (the whole component if none).

    Args:
        component: HxW bool, one connected component.
        distance: its ``inside_distance``, where already computed.

    Returns:
        HxW bool masks, disjoint, covering ``component``.
    """
    distance = inside_distance(component) if distance is None else distance
    peaks = peak_local_max(
        distance,
        min_distance=MIN_PEAK_DISTANCE,
        labels=component.astype(np.int32),
        num_peaks=MAX_PEAKS,
        exclude_border=False,
    )
    if len(peaks) < 2:
        return [component]
    markers = np.zeros(component.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = watershed(-distance, markers, mask=component)
    peak = np.zeros(len(peaks) + 1)
    peak[1:] = ndi.maximum(distance, labels, np.arange(1, len(peaks) + 1))
    while True:
        saddles = _saddles(labels, distance, len(peaks))
        smaller_peak = np.minimum.outer(peak, peak)
        ratio = np.divide(saddles, smaller_peak, out=np.zeros_like(saddles), where=smaller_peak > 0)
        a, b = np.unravel_index(np.argmax(ratio), ratio.shape)
        if ratio[a, b] <= NECK_RATIO:
            break
        labels[labels == b] = a
        peak[a], peak[b] = max(peak[a], peak[b]), 0.0
    return [labels == i for i in np.unique(labels[labels > 0])]


def _nearest_to_centre(masks: list[np.ndarray], centre: tuple[float, float]) -> int:
    """Index of the mask whose centroid lies nearest ``centre`` (row, column)."""
    return int(np.argmin([np.hypot(*np.subtract(ndi.center_of_mass(m), centre)) for m in masks]))


def _in_image(crop: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int]) -> np.ndarray:
    """A crop's mask placed back into a ``shape`` mask at ``box``."""
    full = np.zeros(shape, bool)
    full[box] = crop
    return full


def split_touching_cells(
    component: np.ndarray, dark: np.ndarray, min_nucleus_area: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The cell nearest the image centre, and the whole nucleated cells touching it in ``component``.

    Parts without a nucleus of at least ``min_nucleus_area`` dark pixels are
    shared out to the nucleated cells by a watershed of the distance transform
    seeded with the nucleated parts, so the cells cover the whole component.
    The work is done on the component's bounding box, so it grows with the
    cell, not with the upload.

    Args:
        component: HxW bool, one non-empty connected component of the cell mask.
        dark: HxW bool, nucleus-stained pixels of the same image.
        min_nucleus_area: dark pixels a part needs to count as a cell.

    Returns:
        (HxW bool cell, other HxW bool cells): ``(component, [])`` unless the central
        part and at least one other part are nucleated cells.
    """
    if int((component & dark).sum()) < 2 * min_nucleus_area:
        return component, []
    box = ndi.find_objects(component.astype(np.uint8))[0]
    crop, crop_dark = component[box], dark[box]
    distance = inside_distance(crop)
    parts = narrow_neck_parts(crop, distance)
    nucleated = [int((part & crop_dark).sum()) >= min_nucleus_area for part in parts]
    image_centre = ((component.shape[0] - 1) / 2 - box[0].start, (component.shape[1] - 1) / 2 - box[1].start)
    central = _nearest_to_centre(parts, image_centre)
    if sum(nucleated) < 2 or not nucleated[central]:
        return component, []
    markers = np.zeros(crop.shape, np.int32)
    seeds = [index for index, is_cell in enumerate(nucleated) if is_cell]
    for label, index in enumerate(seeds, start=1):
        markers[parts[index]] = label
    labels = watershed(-distance, markers, mask=crop)
    central_label = seeds.index(central) + 1
    cells = {label: _in_image(labels == label, box, component.shape) for label in range(1, len(seeds) + 1)}
    return cells.pop(central_label), list(cells.values())
