import numpy as np
import pytest

from bcds_core.image_io import ImageDecodeError, decode_image, encode_png
from tests.bad_inputs import bad_corpus

CORPUS = bad_corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_bad_input_is_decoded_or_refused_with_a_message(name):
    data, expected = CORPUS[name]
    if expected == "error":
        with pytest.raises(ImageDecodeError) as caught:
            decode_image(data)
        assert len(str(caught.value)) > 15
    else:
        image = decode_image(data)
        assert image.rgb.dtype == np.uint8 and image.rgb.ndim == 3 and image.rgb.shape[2] == 3


def test_exif_rotation_is_applied():
    image = decode_image(CORPUS["exif_rotated.jpg"][0])
    assert image.rgb.shape[:2] == (360, 300)


def test_sixteen_bit_keeps_contrast():
    image = decode_image(CORPUS["sixteen_bit.png"][0])
    assert image.rgb.max() > 200 and image.rgb.min() < 100
    assert any("8-bit" in note for note in image.notes)


def test_a_twelve_bit_camera_image_in_a_sixteen_bit_file_is_not_read_dark():
    import io

    from PIL import Image

    twelve_bit = np.tile(np.linspace(0, 4095, 64, dtype=np.uint16), (48, 1))  # a 12-bit camera's range
    buffer = io.BytesIO()
    Image.fromarray(twelve_bit).save(buffer, "PNG")
    image = decode_image(buffer.getvalue())
    assert image.rgb.max() == 255 and image.rgb.min() == 0


def test_one_nan_in_a_float_tiff_does_not_black_out_the_image():
    image = decode_image(CORPUS["float_with_nan.tif"][0])
    assert image.rgb.max() == 255 and image.rgb.min() < 100


def test_multi_frame_uses_the_first_frame_and_says_so():
    image = decode_image(CORPUS["multi_frame.tif"][0])
    assert image.notes and "frame 1 of 3" in image.notes[0]


def test_bomb_message_names_the_reason():
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        decode_image(CORPUS["bomb.png"][0])


def test_formats_outside_the_supported_ones_are_refused_before_any_external_program(monkeypatch):
    """An EPS file named .jpg must never reach Pillow's EPS plugin (it runs Ghostscript)."""
    import subprocess

    from bcds_core.image_io import ImageDecodeError

    def no_programs(*args, **kwargs):
        raise AssertionError("an external program was started")

    monkeypatch.setattr(subprocess, "Popen", no_programs)
    monkeypatch.setattr(subprocess, "check_call", no_programs)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n"
    with pytest.raises(ImageDecodeError, match="not an image that bcds can read"):
        decode_image(eps)


def test_an_encoded_png_decodes_to_the_same_pixels():
    rgb = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_image(encode_png(rgb)).rgb, rgb)


def test_decoding_leaves_the_process_warning_filters_alone(monkeypatch):
    """Sessions decode in threads side by side: a decoder that turned the bomb warning into an error
    with ``warnings.catch_warnings`` changed the filters of every thread, and could let a bomb through
    another session's decode (or leave the error filter in place for the whole process)."""
    import io
    import warnings

    from PIL import Image

    from bcds_core.image_io import reducible_jpeg

    changes = []
    monkeypatch.setattr(warnings, "simplefilter", lambda *args, **kwargs: changes.append(args))
    monkeypatch.setattr(warnings, "filterwarnings", lambda *args, **kwargs: changes.append(args))
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        decode_image(CORPUS["bomb.png"][0])
    jpeg = io.BytesIO()
    Image.new("RGB", (4200, 300)).save(jpeg, format="JPEG")
    decoded = decode_image(jpeg.getvalue())
    reducible = reducible_jpeg(jpeg.getvalue())
    monkeypatch.undo()
    assert changes == []
    assert reducible and decoded.rgb.shape[1] == 2048
