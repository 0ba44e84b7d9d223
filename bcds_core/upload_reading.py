"""An upload decoded at the resolution its reading needs, and the pixel size to read it at.

The models read cells at about 0.1 um per pixel. A camera photo of one cell may
be 6000 px wide at a pixel size ten times finer: decoding it in full (and
shrinking it) would cost more than the two networks together. JPEG's DCT
scaling decodes it at a quarter of its side for a fraction of that, and the
red-cell ruler needs no more, so a large JPEG is measured on that reduced
decode first and read from it wherever it is at least as fine as the models'
pixel size. Anything else is decoded up to ``MAX_DECODED_SIDE`` as before.
A pixel size that would enlarge the image past ``MAX_PIXELS`` (2 um per pixel
given for a 2000-px photo: 40,000 px across) is refused in words, not tried, and
so is one that would shrink it below ``MIN_READ_SIDE`` (a size typed in
millimetres, 0.0001 for 0.1 um, reads a 360-px cell as one pixel).
"""

from __future__ import annotations

import math

from bcds_core.image_io import (
    MAX_PIXELS,
    REDUCED_DECODE_SIDE,
    DecodedImage,
    ImageDecodeError,
    decode_image,
    reducible_jpeg,
)
from bcds_core.lab_profile import LabProfile
from bcds_core.pixel_size import ASSUMED, REFERENCE_PIXEL_UM, PixelSize, estimate_pixel_size
from bcds_core.preprocessing import scaled_shape

#: Fewest pixels across an image may have at the models' pixel size: a white cell spans about 100.
MIN_READ_SIDE = 16


def decode_for_reading(
    data: bytes, pixel_size_um: float | None, profile: LabProfile | None = None
) -> tuple[DecodedImage, PixelSize]:
    """The decoded upload and its pixel size (``upload_pixel_size``).

    The reduced decode of a large JPEG is kept where the pixel size is known (given or
    measured) and reading shrinks or keeps the image; where it is only assumed, or reading
    would enlarge the reduced decode, the upload is decoded again in full and measured on it.

    Raises:
        ImageDecodeError: as ``decode_image``, or the image read at its pixel size would exceed
            ``MAX_PIXELS``.
    """
    image = None
    if reducible_jpeg(data, REDUCED_DECODE_SIDE):
        reduced = decode_image(data, REDUCED_DECODE_SIDE)
        pixel_size = upload_pixel_size(reduced, pixel_size_um, profile)
        if pixel_size.source != ASSUMED and pixel_size.scale_to_reference <= 1.0:
            image = reduced
    if image is None:
        image = decode_image(data)
        pixel_size = upload_pixel_size(image, pixel_size_um, profile)
    check_read_size(image, pixel_size)
    return image, pixel_size


def check_read_size(image: DecodedImage, pixel_size: PixelSize) -> None:
    """Refuse in words a pixel size that reads the image past ``MAX_PIXELS`` or below
    ``MIN_READ_SIDE`` (the reduced decode of a large JPEG included: a size typed in millimetres
    shrinks it as well), at the size the resize gives (``scaled_shape``); a size too large to count
    (1e308 um overflows a pixel count) is refused before any rounding.

    Raises:
        ImageDecodeError: naming the size the image would have.
    """
    rows, columns = image.rgb.shape[:2]
    size = "far too many"
    if math.isfinite(rows * columns * pixel_size.scale_to_reference**2):
        height, width = scaled_shape(rows, columns, pixel_size.scale_to_reference)  # as it would be read
        if height * width <= MAX_PIXELS and min(height, width) >= MIN_READ_SIDE:
            return
        size = f"{width:,} x {height:,}"
    raise ImageDecodeError(
        f"Read at {pixel_size.um * image.scale:.4g} um per pixel, this image would be {size} pixels at "
        f"the models' {REFERENCE_PIXEL_UM:.3f} um per pixel: check the pixel size (micrometres per "
        "pixel; a CellaVision image is about 0.1)."
    )


def upload_pixel_size(
    image: DecodedImage, pixel_size_um: float | None, profile: LabProfile | None = None
) -> PixelSize:
    """The pixel size of a decoded upload: the one given for the file (else the lab profile's),
    scaled to the decoded image, or estimated from its red cells, or assumed."""
    if pixel_size_um is None and profile is not None:
        pixel_size_um = profile.pixel_size_um
    file_shape = tuple(round(side / image.scale) for side in image.rgb.shape[:2])
    return estimate_pixel_size(image.rgb, pixel_size_um / image.scale if pixel_size_um else None, file_shape)
