"""Split one mask component where whole nucleated cells touch.

The U-Net masks the cell an image is about, but two cells that touch come out
as one component, and the classifier then reads both as one cell (on the PBC
test split, 4 of the 33 group errors were such pairs). Touching round cells
meet at a narrow neck: the distance transform of the component has one peak
per cell and a low saddle between them. The component is cut at every saddle
lower than ``NECK_RATIO`` times the smaller peak (a watershed of the distance
transform, merged back across wider necks), and it is only split into cells
where at least two parts hold a nucleus of their own, so a cell is never cut
from its own cytoplasm, pseudopod or a red cell lying against it.
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


def narrow_neck_parts(component: np.ndarray) -> list[np.ndarray]:
    """Parts of a boolean mask component separated by narrow necks (the whole component if none).

    Args:
        component: HxW bool, one connected component.

    Returns:
        HxW bool masks, disjoint, covering ``component``.
    """
    distance = ndi.distance_transform_edt(component)
    peaks = peak_local_max(
        distance, min_distance=MIN_PEAK_DISTANCE, labels=component.astype(np.int32), exclude_border=False
    )
    if len(peaks) < 2:
        return [component]
    markers = np.zeros(component.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = watershed(-distance, markers, mask=component)
    while True:
        ids = np.unique(labels[labels > 0])
        if len(ids) < 2:
            break
        peak = np.zeros(labels.max() + 1)
        peak[ids] = ndi.maximum(distance, labels, ids)
        saddles = _saddles(labels, distance, labels.max())
        smaller_peak = np.minimum.outer(peak, peak)
        ratio = np.divide(saddles, smaller_peak, out=np.zeros_like(saddles), where=smaller_peak > 0)
        a, b = np.unravel_index(np.argmax(ratio), ratio.shape)
        if ratio[a, b] <= NECK_RATIO:
            break
        labels[labels == b] = a
    return [labels == i for i in np.unique(labels[labels > 0])]


def touching_cells(component: np.ndarray, dark: np.ndarray, min_nucleus_area: int) -> list[np.ndarray]:
    """Split a component into the whole nucleated cells that touch inside it.

    Parts without a nucleus of at least ``min_nucleus_area`` dark pixels are
    shared out to the nucleated cells by a watershed of the distance transform
    seeded with the nucleated parts, so the cells cover the whole component.

    Args:
        component: HxW bool, one connected component of the cell mask.
        dark: HxW bool, nucleus-stained pixels of the same image.
        min_nucleus_area: dark pixels a part needs to count as a cell.

    Returns:
        HxW bool masks: ``[component]`` unless two or more nucleated cells touch.
    """
    parts = narrow_neck_parts(component)
    nucleated = [part for part in parts if int((part & dark).sum()) >= min_nucleus_area]
    if len(nucleated) < 2:
        return [component]
    markers = np.zeros(component.shape, np.int32)
    for index, part in enumerate(nucleated, start=1):
        markers[part] = index
    labels = watershed(-ndi.distance_transform_edt(component), markers, mask=component)
    return [labels == index for index in range(1, len(nucleated) + 1)]
