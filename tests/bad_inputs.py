"""A corpus of bad and awkward uploads, generated in memory.

The tests feed it to every entry point (decoder, core, CLI, browser), each of
which must answer every entry with a message or a result, never a crash.
Each entry says what a person should get: ``error`` (cannot be decoded) or
``decoded`` (usable image after conversion).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _save(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb_png(side: int = 30_000) -> bytes:
    """A valid PNG header declaring side x side pixels with almost no data."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (3 * side)
    data = zlib.compress(row * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def cell_like(size: int = 360) -> Image.Image:
    """A pink slide with one purple disc in the centre (RGB)."""
    rows, cols = np.mgrid[:size, :size]
    array = np.empty((size, size, 3), np.uint8)
    array[...] = (250, 225, 200)
    array[np.hypot(rows - size / 2, cols - size / 2) < size / 6] = (90, 60, 140)
    return Image.fromarray(array)


def with_unwritable_exif_tag(jpeg_with_software_tag: bytes) -> bytes:
    """The JPEG with its EXIF Software tag (ASCII) renamed to 0x0109, a tag Pillow writes as a
    number: re-writing the EXIF, as ``ImageOps.exif_transpose`` does, raises ``struct.error``."""
    data = bytearray(jpeg_with_software_tag)
    at = data.find(b"\x01\x31\x00\x02")
    data[at + 1] = 0x09
    return bytes(data)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def bad_corpus() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, expected outcome: 'error' or 'decoded')."""
    cell = cell_like()
    jpeg = _save(cell, "JPEG", quality=90)
    png = _save(cell, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    odd_exif = Image.Exif()
    odd_exif[0x0112], odd_exif[0x0131] = 6, "firmware 1.0"
    float_grey = np.asarray(cell.convert("L"), np.float32)
    float_grey[0, 0] = np.nan
    sixteen = Image.fromarray(np.asarray(cell.convert("L"), np.uint16) * 257).convert("I;16")
    frames = [cell, cell.rotate(90), cell.rotate(180)]
    return {
        "non_image.jpg": (b"%PDF-1.4 this is not an image at all" * 20, "error"),
        "empty.png": (b"", "error"),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], "error"),
        "truncated.png": (png[: len(png) // 2], "error"),
        "truncated_pages.tif": (
            truncated(_save(frames[0], "TIFF", save_all=True, append_images=frames[1:])),
            "error",
        ),
        "truncated_frames.gif": (
            truncated(_save(frames[0], "GIF", save_all=True, append_images=frames[1:])),
            "error",
        ),
        "unwritable_exif.jpg": (with_unwritable_exif_tag(_save(cell, "JPEG", exif=odd_exif)), "error"),
        "bomb.png": (decompression_bomb_png(), "error"),
        "one_pixel.png": (_save(Image.new("RGB", (1, 1), (200, 100, 100)), "PNG"), "error"),
        "tiny.png": (_save(cell.resize((12, 12)), "PNG"), "error"),
        "sixteen_bit.png": (_save(sixteen, "PNG"), "decoded"),
        "float_with_nan.tif": (_save(Image.fromarray(float_grey, "F"), "TIFF"), "decoded"),
        "greyscale.jpg": (_save(cell.convert("L"), "JPEG"), "decoded"),
        "palette.gif": (_save(cell.convert("P"), "GIF"), "decoded"),
        "rgba.png": (_save(cell.convert("RGBA"), "PNG"), "decoded"),
        "cmyk.jpg": (_save(cell.convert("CMYK"), "JPEG"), "decoded"),
        "multi_frame.gif": (_save(frames[0], "GIF", save_all=True, append_images=frames[1:]), "decoded"),
        "multi_frame.tif": (_save(frames[0], "TIFF", save_all=True, append_images=frames[1:]), "decoded"),
        "exif_rotated.jpg": (_save(cell.resize((360, 300)), "JPEG", exif=exif), "decoded"),
        "bmp.bmp": (_save(cell, "BMP"), "decoded"),
        "png_named.jpg": (png, "decoded"),
        "very_large.jpg": (_save(cell.resize((4000, 4000)), "JPEG", quality=70), "decoded"),
    }
