"""Safe decoding of whatever a user uploads into an RGB uint8 array.

Clinics upload anything: broken files, 16-bit TIFFs, palette GIFs, phone photos
with EXIF rotation, decompression bombs. Every entry point decodes through
``decode_image`` so that each of these becomes either a usable RGB array (with
notes on what was converted) or an ``ImageDecodeError`` whose message a person
can act on. Only Pillow parses the bytes; nothing from an upload is ever
unpickled or executed.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

#: Largest file we read at all (bytes). A CellaVision cell image is ~15 kB.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest decoded image (pixels). Pillow raises a bomb error above this.
MAX_PIXELS = 40_000_000
#: Smallest side (pixels) that can still show a cell.
MIN_SIDE = 32

# A truncated file must be reported, never silently padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageDecodeError(ValueError):
    """The upload cannot be turned into an image; the message says why."""


@dataclass
class DecodedImage:
    """An upload decoded to RGB.

    Attributes:
        rgb: HxWx3 uint8 array, RGB order.
        source_format: Pillow's format name (JPEG, PNG, ...), or None.
        source_mode: Pillow mode before conversion (RGB, L, I;16, CMYK, ...).
        notes: conversions applied, for the user (e.g. "used frame 1 of 3").
    """

    rgb: np.ndarray
    source_format: str | None
    source_mode: str
    notes: list[str] = field(default_factory=list)


def read_bytes(path: str | Path) -> bytes:
    """Read a file with the size limit applied before reading it whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImageDecodeError(f"Cannot open the file: {error.strerror or error}.") from error
    if size > MAX_FILE_BYTES:
        raise ImageDecodeError(
            f"The file is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB."
        )
    return path.read_bytes()


def decode_image(data: bytes) -> DecodedImage:
    """Decode image bytes into an RGB uint8 array.

    Args:
        data: the raw bytes of an uploaded file.

    Returns:
        The decoded image with notes on every conversion applied.

    Raises:
        ImageDecodeError: empty, non-image, truncated, too large or too small input.
    """
    if not data:
        raise ImageDecodeError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageDecodeError(f"The file is larger than {MAX_FILE_BYTES / 1e6:.0f} MB.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            image = Image.open(io.BytesIO(data))
            source_format, source_mode = image.format, image.mode
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                notes.append(f"used frame 1 of {frames}")
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageDecodeError(
            f"The image declares more than {MAX_PIXELS / 1e6:.0f} million pixels; "
            "it is refused as a possible decompression bomb."
        ) from error
    except UnidentifiedImageError as error:
        raise ImageDecodeError(
            "This file is not an image that bcds can read (JPEG, PNG, BMP, TIFF or GIF)."
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageDecodeError(
            f"The image file is damaged or truncated and cannot be decoded ({error})."
        ) from error
    if image.width < MIN_SIDE or image.height < MIN_SIDE:
        raise ImageDecodeError(
            f"The image is {image.width}x{image.height} pixels; a cell image needs at "
            f"least {MIN_SIDE}x{MIN_SIDE}."
        )
    rgb = _to_rgb(image, notes)
    return DecodedImage(rgb=rgb, source_format=source_format, source_mode=source_mode, notes=notes)


def _to_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Convert any Pillow mode to an RGB uint8 array, noting lossy steps."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image, dtype=np.uint8).copy()
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") else max(float(values.max()), 1.0)
        grey = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        notes.append(f"converted {mode} (high bit depth greyscale) to 8-bit")
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        notes.append("composited transparency on white")
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.uint8)
    if mode in ("L", "1"):
        notes.append("greyscale image: colour cues are missing, expect low confidence")
    elif mode == "CMYK":
        notes.append("converted CMYK to RGB")
    elif mode not in ("P", "YCbCr"):
        notes.append(f"converted {mode} to RGB")
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
