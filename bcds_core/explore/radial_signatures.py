"""Radial colour signatures: mean colour against the distance to the cell centre.

The image is unrolled around the cell centre with ``cv2.warpPolar`` (one column
per original pixel of radius, ``N_ANGLES`` rows), then the columns are averaged
in rings of ``BIN_PX`` pixels. Radii are absolute, in original image pixels, so
cell size stays in the signature: a platelet's dark core ends after a few rings,
a monocyte's after a dozen. Parts of a ring that fall outside the image are left
out of its mean; a ring wholly outside the image is NaN.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np

#: Width of one ring, original pixels.
BIN_PX = 4
#: Outer radius of the signature, original pixels (a CellaVision image is ~360 px wide).
MAX_RADIUS = 152
N_BINS = MAX_RADIUS // BIN_PX
#: Angular samples of the polar transform (one per degree).
N_ANGLES = 360
#: Channels of a signature, in column order. H, S, V come from OpenCV's full-range
#: HSV (all three 0-255; hue 0-255 spans the colour circle once).
CHANNELS: tuple[str, ...] = ("R", "G", "B", "H", "S", "V")


def bin_centres() -> np.ndarray:
    """Centre radius of each ring, original pixels (float32, ``N_BINS``)."""
    return (np.arange(N_BINS, dtype=np.float32) * BIN_PX + (BIN_PX - 1) / 2).astype(np.float32)


def to_polar(rgb: np.ndarray, centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Unroll an image around ``centre``.

    Args:
        rgb: HxWx3 uint8 RGB image.
        centre: (x, y) in pixels of ``rgb``.

    Returns:
        ``polar`` (N_ANGLES x MAX_RADIUS x 3 uint8, column j = radius j px) and
        ``inside`` (N_ANGLES x MAX_RADIUS bool, False where the ray left the image).
    """
    size = (MAX_RADIUS, N_ANGLES)
    flags = cv2.WARP_POLAR_LINEAR | cv2.WARP_FILL_OUTLIERS
    polar = cv2.warpPolar(rgb, size, centre, MAX_RADIUS, flags | cv2.INTER_LINEAR)
    ones = np.ones(rgb.shape[:2], np.uint8)
    inside = cv2.warpPolar(ones, size, centre, MAX_RADIUS, flags | cv2.INTER_NEAREST) > 0
    return polar, inside


def _circular_mean_hue(hue: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted circular mean over axis 0 of hue values 0-255 (one turn); NaN without weight."""
    angle = hue.astype(np.float32) * (2 * np.pi / 256)
    sin, cos = (np.sin(angle) * weights).sum(axis=0), (np.cos(angle) * weights).sum(axis=0)
    mean = (np.arctan2(sin, cos) % (2 * np.pi)) * (256 / (2 * np.pi))
    return np.where(weights.sum(axis=0) > 0, mean, np.nan)


def radial_signature(rgb: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Mean of each channel per ring around ``centre``.

    Args:
        rgb: HxWx3 uint8 RGB image at its original pixel size.
        centre: (x, y) of the cell centre in pixels of ``rgb``.

    Returns:
        ``N_BINS`` x ``len(CHANNELS)`` float32, values 0-255 in ``CHANNELS`` order;
        NaN for rings that lie wholly outside the image. Hue is a circular mean.
    """
    polar, inside = to_polar(rgb, centre)
    hsv = cv2.cvtColor(polar, cv2.COLOR_RGB2HSV_FULL)
    # Rings: (angles, bins, BIN_PX) -> pixels of one ring along a single axis.
    weights = inside.reshape(N_ANGLES, N_BINS, BIN_PX).transpose(0, 2, 1).reshape(-1, N_BINS)
    weights = weights.astype(np.float32)
    count = weights.sum(axis=0)
    signature = np.full((N_BINS, len(CHANNELS)), np.nan, np.float32)
    for index, name in enumerate(CHANNELS):
        source = polar if name in "RGB" else hsv
        channel = source[..., "RGB".index(name) if name in "RGB" else "HSV".index(name)]
        values = channel.reshape(N_ANGLES, N_BINS, BIN_PX).transpose(0, 2, 1).reshape(-1, N_BINS)
        if name == "H":
            signature[:, index] = _circular_mean_hue(values, weights)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                signature[:, index] = (values * weights).sum(axis=0) / count
    return signature


def signature_features(signatures: np.ndarray) -> np.ndarray:
    """Flatten signatures into feature vectors for a distance-based classifier.

    Hue is circular, so its ring means enter as ``100 cos`` and ``100 sin`` of the hue
    angle (0 and 255 are neighbours); the other channels enter as they are.

    Args:
        signatures: N x N_BINS x len(CHANNELS) (or one N_BINS x len(CHANNELS)), NaN allowed.

    Returns:
        N x (N_BINS * (len(CHANNELS) + 1)) float32 (one row for a single signature); NaN stays NaN.
    """
    signatures = np.asarray(signatures, np.float32)
    single = signatures.ndim == 2
    signatures = signatures[None] if single else signatures
    hue_index = CHANNELS.index("H")
    angle = signatures[..., hue_index] * (2 * np.pi / 256)
    others = np.delete(signatures, hue_index, axis=2)
    parts = [others, 100 * np.cos(angle)[..., None], 100 * np.sin(angle)[..., None]]
    features = np.concatenate(parts, axis=2).reshape(len(signatures), -1)
    return features[0] if single else features


def mean_signature(signatures: np.ndarray) -> np.ndarray:
    """Class signature: the ring-wise mean of N signatures (N x N_BINS x C), hue circular.

    Returns:
        N_BINS x len(CHANNELS) float32; NaN for rings no signature covers.
    """
    signatures = np.asarray(signatures, np.float32)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(signatures, axis=0)
    hue_index = CHANNELS.index("H")
    hue = signatures[..., hue_index]
    valid = np.isfinite(hue)
    mean[:, hue_index] = _circular_mean_hue(np.where(valid, hue, 0), valid.astype(np.float32))
    return mean.astype(np.float32)


def render_disc(signature: np.ndarray, side: int = 2 * MAX_RADIUS) -> np.ndarray:
    """Paint a signature's R, G, B ring means back into a disc (the "average cell").

    The inverse polar transform of a polar image whose every row is the signature.

    Returns:
        side x side x 3 uint8 RGB; rings with NaN and the corners are white.
    """
    rgb = np.nan_to_num(np.asarray(signature)[:, :3], nan=255.0)
    ring_of_column = np.arange(MAX_RADIUS) // BIN_PX
    polar = np.broadcast_to(rgb[ring_of_column], (N_ANGLES, MAX_RADIUS, 3))
    polar = np.ascontiguousarray(np.clip(polar, 0, 255).astype(np.uint8))
    flags = cv2.WARP_POLAR_LINEAR | cv2.WARP_INVERSE_MAP | cv2.INTER_NEAREST
    scale = side / (2 * MAX_RADIUS)
    disc = cv2.warpPolar(polar, (side, side), (side / 2, side / 2), MAX_RADIUS * scale, flags)
    outside = np.hypot(*np.mgrid[:side, :side] - (side - 1) / 2) >= MAX_RADIUS * scale
    disc[outside] = 255
    return disc
