"""A smear field keeps a picture small enough to cache and show, with its boxes where its cells are."""

from bcds_core.benchmark import field_of
from bcds_core.field.analysis import SHOWN_FIELD_SIDE, analyze_field
from bcds_core.image_io import decode_image
from bcds_core.paths import SAMPLES_DIR


def test_a_field_read_larger_than_shown_keeps_a_shrunk_picture_with_its_boxes_on_it(analyzer):
    """Given 0.3 um per pixel, a 640x480 field is read at about 1818x1364 px, larger than it is shown."""
    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    data = field_of(decode_image(sample.read_bytes()).rgb)
    result = analyze_field(analyzer, "field.jpg", data, pixel_size_um=0.3)
    assert result.ok and result.cells and "read at 0.300 um per pixel" in result.message
    height, width = result.rgb.shape[:2]
    assert max(height, width) == SHOWN_FIELD_SIDE
    assert abs(width / 640 - result.scale) < 0.01
    for cell in result.cells:
        x0, y0, x1, y1 = (v * result.scale for v in cell.box)
        assert 0 <= x0 < x1 <= width + 1 and 0 <= y0 < y1 <= height + 1
