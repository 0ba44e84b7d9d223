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

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

#: Largest file we read at all (bytes). A CellaVision cell image is ~15 kB.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Largest image accepted (pixels): a 24-megapixel camera's photo. Pillow raises a bomb error above it.
MAX_PIXELS = 25_000_000
#: Longest side kept after decoding. Models read cells at about 0.1 um per pixel; a larger image
#: is a photo at a finer pixel size or a wide field, and is shrunk on decode (JPEG's own
#: reduced decoding where it can; ``upload_reading`` goes further where the reading allows).
MAX_DECODED_SIDE = 2048
#: Longest side of the first, reduced decode of a large JPEG (``upload_reading``): enough for
#: the red-cell ruler, which measures at 512 px (1024 where red cells are small).
REDUCED_DECODE_SIDE = 1024
#: Smallest side (pixels) that can still show a cell.
MIN_SIDE = 32
#: The only formats Pillow may open: others (EPS, PDF, ...) may hand the bytes to
#: external programs such as Ghostscript.
SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "GIF", "WEBP")

# A truncated file must be reported, never silently padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageDecodeError(ValueError):
    """The upload cannot be turned into an image; the message says why."""


class TooManyPixels(ImageDecodeError):
    """The image declares more than ``MAX_PIXELS``: refused as a possible decompression bomb."""

    def __init__(self) -> None:
        super().__init__(
            f"The image declares more than {MAX_PIXELS / 1e6:.0f} million pixels; "
            "it is refused as a possible decompression bomb."
        )


# Pillow's own bar, set once for the process: it warns above it and refuses twice it. The warning is
# silenced because ``open_within_limit`` refuses such images itself: turning it into an error with
# ``warnings.catch_warnings`` changed the process-wide filters while other sessions' threads decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def open_within_limit(data: bytes, formats: tuple[str, ...] = SUPPORTED_FORMATS) -> Image.Image:
    """The image ``data`` holds, opened (its header read, nothing decoded) if it has at most ``MAX_PIXELS``.

    Raises:
        TooManyPixels: above ``MAX_PIXELS``.
        UnidentifiedImageError, OSError, ...: as ``Image.open``.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as error:
        raise TooManyPixels from error
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise TooManyPixels
    return image


@dataclass
class DecodedImage:
    """An upload decoded to RGB.

    Attributes:
        rgb: HxWx3 uint8 array, RGB order.
        notes: conversions applied, for the user (e.g. "used frame 1 of 3").
        scale: pixels of ``rgb`` per pixel of the file (below 1 where it was shrunk).
    """

    rgb: np.ndarray
    notes: list[str] = field(default_factory=list)
    scale: float = 1.0


def read_bytes(path: str | Path) -> bytes:
    """Read a regular file of at most ``MAX_FILE_BYTES``.

    A folder, a named pipe or a device (``/dev/zero``) is refused before it is
    opened, and no more than the limit plus one byte is ever read, so a file
    that grows while it is read cannot exhaust memory either.

    Raises:
        ImageDecodeError: not a regular file, unreadable, or over the limit.
    """
    path = Path(path)
    try:
        if not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file" if path.exists() else "missing"
            raise ImageDecodeError(f"Cannot read '{path.name}': it is {kind}.")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ImageDecodeError(f"Cannot open the file: {error.strerror or error}.") from error
    if len(data) > MAX_FILE_BYTES:
        raise ImageDecodeError(f"The file is larger than the limit of {MAX_FILE_BYTES / 1e6:.0f} MB.")
    return data


def encode_png(rgb: np.ndarray) -> bytes:
    """HxWx3 (or HxW) uint8 array as PNG bytes: an image made in memory, handed on as an upload would be."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data: bytes, longest_side: int = MAX_DECODED_SIDE) -> DecodedImage:
    """Decode image bytes into an RGB uint8 array.

    Args:
        data: the raw bytes of an uploaded file.
        longest_side: a larger image is shrunk to this on decode (JPEG's reduced decoding where it can).

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
        image = open_within_limit(data)
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            notes.append(f"used frame 1 of {frames}")
        original_size = image.size
        image.draft("RGB", _draft_size(image.size, longest_side))
        image.load()
        image = ImageOps.exif_transpose(image)
    except TooManyPixels:
        raise
    except UnidentifiedImageError as error:
        raise ImageDecodeError(
            "This file is not an image that bcds can read (JPEG, PNG, BMP, TIFF or GIF)."
        ) from error
    except Exception as error:  # noqa: BLE001
        # Pillow's decoders raise many types on damaged input (TypeError from a truncated
        # multi-page TIFF, struct.error from a truncated GIF or an EXIF tag of the wrong type): any
        # of them means this upload cannot be decoded, and must not cost its batch the others.
        raise ImageDecodeError(
            f"The image file is damaged or truncated and cannot be decoded ({error})."
        ) from error
    if image.width < MIN_SIDE or image.height < MIN_SIDE:
        raise ImageDecodeError(
            f"The image is {image.width}x{image.height} pixels; a cell image needs at "
            f"least {MIN_SIDE}x{MIN_SIDE}."
        )
    rgb, scale = _within_side(_to_rgb(image, notes), longest_side, max(original_size) / max(image.size))
    if scale < 1:
        notes.append(f"shrunk from {original_size[0]}x{original_size[1]} to {rgb.shape[1]}x{rgb.shape[0]}")
    return DecodedImage(rgb, notes, scale)


def reducible_jpeg(data: bytes, longest_side: int = REDUCED_DECODE_SIDE) -> bool:
    """Whether ``data`` declares a JPEG at least twice ``longest_side`` long, which JPEG's DCT
    scaling decodes at half its side or less for a fraction of a full decode's time.

    Only the header is read; bytes that are not such a JPEG answer False, and ``decode_image``
    says what is wrong with them.
    """
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as image:
            return max(image.size) >= 2 * longest_side
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def _draft_size(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    """The size JPEG's reduced decoding may go down to while keeping ``longest_side``."""
    factor = max(1.0, max(size) / longest_side)
    return max(1, int(size[0] / factor)), max(1, int(size[1] / factor))


def _within_side(rgb: np.ndarray, longest_side: int, drafted: float) -> tuple[np.ndarray, float]:
    """``rgb`` shrunk to ``longest_side``, and its pixels per file pixel (``drafted``: the
    file's side over the decoded one)."""
    factor = min(1.0, longest_side / max(rgb.shape[:2]))
    if factor < 1.0:
        size = (max(1, round(rgb.shape[1] * factor)), max(1, round(rgb.shape[0] * factor)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb, factor / drafted


def _to_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Convert any Pillow mode to an RGB uint8 array, noting lossy steps."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image, dtype=np.uint8).copy()
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # scaled by the brightest pixel, not the container's range: a 12-bit camera's image saved in a
        # 16-bit file reaches 4095 of 65535 and came out at 15 of 255, too dark to find a cell in
        values = np.asarray(image, dtype=np.float64)
        values[~np.isfinite(values)] = 0.0  # one NaN in a float TIFF made the brightest pixel NaN
        grey = np.clip(values / max(float(values.max()), 1.0) * 255.0, 0, 255).astype(np.uint8)
        notes.append(f"converted {mode} (high bit depth greyscale) to 8-bit, scaled by its brightest pixel")
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
