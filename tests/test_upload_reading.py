"""A large JPEG is measured, and read where it can, on a reduced decode; anything else as before."""

import io

import numpy as np
import pytest
from PIL import Image

from bcds_core.image_io import (
    MAX_DECODED_SIDE,
    REDUCED_DECODE_SIDE,
    ImageDecodeError,
    decode_image,
    reducible_jpeg,
)
from bcds_core.pixel_size import ASSUMED, ESTIMATED, REFERENCE_PIXEL_UM
from bcds_core.upload_reading import decode_for_reading
from tests.test_pixel_size import smear


def encoded(rgb: np.ndarray, format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=format, quality=92)
    return buffer.getvalue()


def photo(red_cell_px: int, side: int) -> bytes:
    """A smear photographed at a fine pixel size: ``smear`` enlarged to ``side``."""
    small = smear(side // 8, red_cell_px / 8)
    return encoded(np.asarray(Image.fromarray(small).resize((side, side), Image.Resampling.BICUBIC)))


def test_only_a_jpeg_twice_the_reduced_side_is_reducible():
    small = np.full((REDUCED_DECODE_SIDE, 40, 3), 200, np.uint8)
    large = np.full((2 * REDUCED_DECODE_SIDE, 40, 3), 200, np.uint8)
    assert not reducible_jpeg(encoded(small))
    assert reducible_jpeg(encoded(large))
    assert not reducible_jpeg(encoded(large, "PNG"))
    assert not reducible_jpeg(b"not an image")


def test_a_fine_photo_is_read_from_the_reduced_decode():
    data = photo(red_cell_px=560, side=4000)
    image, pixel_size = decode_for_reading(data, None)
    assert max(image.rgb.shape[:2]) == REDUCED_DECODE_SIDE
    assert pixel_size.source == ESTIMATED and pixel_size.scale_to_reference < 1
    full = decode_image(data)
    assert max(full.rgb.shape[:2]) == MAX_DECODED_SIDE
    file_um = pixel_size.um * image.scale
    assert file_um == pytest.approx(7.5 / 560, rel=0.15)


def test_without_a_ruler_the_upload_is_decoded_in_full():
    blank = encoded(np.full((4000, 4000, 3), 230, np.uint8))
    image, pixel_size = decode_for_reading(blank, None)
    assert max(image.rgb.shape[:2]) == MAX_DECODED_SIDE
    assert pixel_size.source == ASSUMED and pixel_size.um == REFERENCE_PIXEL_UM


def test_a_given_pixel_size_coarser_than_the_reduced_decode_needs_the_full_one():
    data = photo(red_cell_px=560, side=4000)
    fine, fine_size = decode_for_reading(data, pixel_size_um=0.01)
    coarse, coarse_size = decode_for_reading(data, pixel_size_um=0.05)
    assert max(fine.rgb.shape[:2]) == REDUCED_DECODE_SIDE and fine_size.scale_to_reference <= 1
    assert max(coarse.rgb.shape[:2]) == MAX_DECODED_SIDE
    assert coarse_size.um * coarse.scale == pytest.approx(0.05)


def test_a_truncated_large_jpeg_is_refused_with_the_decoders_message():
    data = photo(red_cell_px=560, side=4000)
    assert reducible_jpeg(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="damaged or truncated"):
        decode_for_reading(data[: len(data) // 2], None)


def test_a_pixel_size_that_would_enlarge_the_image_past_the_limit_is_refused_in_words(analyzer):
    image = encoded(np.full((2000, 2000, 3), 200, np.uint8), "PNG")
    with pytest.raises(ImageDecodeError, match="check the pixel size"):
        decode_for_reading(image, 2.0)
    decoded, pixel_size = decode_for_reading(image, 0.2)
    assert pixel_size.scale_to_reference * 2000 < 4000
    result = analyzer.analyze_bytes([("photo.png", image)], pixel_size_um=2.0)[0]
    assert result.status == "rejected" and "check the pixel size" in result.message


def test_a_pixel_size_typed_in_millimetres_is_refused_in_words_not_read_as_one_pixel():
    image = encoded(np.full((360, 363, 3), 200, np.uint8), "PNG")
    with pytest.raises(ImageDecodeError, match=r"0.0001 um per pixel, this image would be 1 x 1 pixels"):
        decode_for_reading(image, 0.0001)
    assert decode_for_reading(image, 0.01)[1].um == 0.01  # 36 px across at the models' size: read


def test_a_pixel_size_in_millimetres_is_refused_for_a_large_jpeg_too():
    """A large JPEG is read from its reduced decode where the pixel size shrinks it: that path
    returned before the size check, and 0.0001 um read a 3000-px photo as "No cell was found"."""
    data = photo(red_cell_px=560, side=4000)
    with pytest.raises(ImageDecodeError, match="check the pixel size"):
        decode_for_reading(data, 0.0001)


def test_an_astronomical_pixel_size_is_refused_in_words_not_an_overflow():
    image = encoded(np.full((360, 363, 3), 200, np.uint8), "PNG")
    with pytest.raises(ImageDecodeError, match="far too many pixels"):
        decode_for_reading(image, 1e308)


def test_the_size_check_reads_the_size_the_resize_gives():
    """A read side of 15.8 px was refused as 'would be 16 x 16 pixels', the allowed minimum."""
    image = encoded(np.full((360, 360, 3), 200, np.uint8), "PNG")
    decode_for_reading(image, REFERENCE_PIXEL_UM * 15.8 / 360)  # rounds to 16 px: read
    with pytest.raises(ImageDecodeError, match="15 x 15 pixels"):
        decode_for_reading(image, REFERENCE_PIXEL_UM * 15.2 / 360)
