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


def test_a_white_cell_cut_by_the_fields_edge_is_found_cut_and_left_for_review(analyzer):
    """Joining lobes against a blank border ate the outer pixels of every nucleus at the edge: of 66
    white cells touching the edges of the BCCD fields none was flagged, and cut cells were answered ok."""
    import io

    import numpy as np
    from PIL import Image

    from bcds_core.field.detection import find_white_cells

    cell = decode_image(sorted(SAMPLES_DIR.glob("lymphocyte/*.jpg"))[0].read_bytes()).rgb
    slide = np.full((363, 1080, 3), cell[5, 5], np.uint8)
    slide[:, :360] = cell[:, :360]  # a whole cell ...
    slide[:, 900:] = cell[:, :180]  # ... and the left half of it, cut by the right edge
    found = find_white_cells(slide)
    assert [c.cut_by_border for c in sorted(found, key=lambda c: c.centre[0])] == [False, True]
    buffer = io.BytesIO()
    Image.fromarray(slide).save(buffer, format="PNG")
    result = analyze_field(analyzer, "field.png", buffer.getvalue(), pixel_size_um=0.10563)
    cut = max(result.cells, key=lambda c: c.box[0]).result
    assert cut.status == "review" and "cut by the field's border" in cut.message


def test_a_field_without_white_cells_says_so_and_never_sends_the_user_round_in_a_loop(analyzer):
    """A blank field read "0 white cells found", and predict on it said "analyse it as a field"."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((480, 640, 3), (250, 225, 200), np.uint8)).save(buffer, format="PNG")
    field = analyze_field(analyzer, "blank.png", buffer.getvalue())
    assert field.ok and not field.cells and field.message.startswith("No white cell found")
    (single,) = analyzer.analyze_bytes([("blank.png", buffer.getvalue())])
    assert single.status == "rejected" and "analyse it as a field" not in single.message


def test_nucleated_red_cells_in_a_field_are_not_counted_as_white_cells(analyzer):
    """The nucleus stain finds nucleated red cells and platelet clumps too: five erythroblasts and a
    lymphocyte read "6 white cells found", while the differential beside it counted them apart."""
    sample = sorted(SAMPLES_DIR.glob("erythroblast/*.jpg"))[0]
    result = analyze_field(analyzer, "field.jpg", field_of(decode_image(sample.read_bytes()).rgb), 0.158)
    apart = [c for c in result.cells if c.result.group in ("erythroblast", "platelet")]
    assert apart, [c.result.group for c in result.cells]
    white = len(result.cells) - len(apart)
    assert f"{len(result.cells)} cells found, {white} of them white" in result.message


def test_a_field_cell_read_at_another_pixel_size_gets_its_own_explanation(analyzer):
    """A field's cells are classified at the models' pixel size whatever the field's, so an
    explanation kept by (widget, pixel size read at) drew one reading's heat map over another's cell."""
    from bcds_ui.analysis_cache import explanation_key

    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    data = field_of(decode_image(sample.read_bytes()).rgb)
    read = analyze_field(analyzer, "field.jpg", data).cells[0].result
    again = analyze_field(analyzer, "field.jpg", data).cells[0].result
    other = analyze_field(analyzer, "field.jpg", data, pixel_size_um=0.3).cells[0].result
    assert read.pixel_size_um == other.pixel_size_um  # all the old key could tell them by
    assert explanation_key(read, "gradcam", "SNE", None) == explanation_key(again, "gradcam", "SNE", None)
    assert explanation_key(read, "gradcam", "SNE", None) != explanation_key(other, "gradcam", "SNE", None)


def test_a_field_uploaded_twice_is_screened_once(analyzer):
    """Its cells are keyed by the field's content and their place, so the second copy's cells are
    duplicates of the first's: one duplicate upload, not one per cell, and not counted twice."""
    from bcds_core.screening import screen

    sample = sorted(SAMPLES_DIR.glob("neutrophil/*.jpg"))[0]
    data = field_of(decode_image(sample.read_bytes()).rgb)
    first = [c.result for c in analyze_field(analyzer, "field.jpg", data, 0.158).cells]
    copy = [c.result for c in analyze_field(analyzer, "copy.jpg", data, 0.158).cells]
    assert first and len({r.content_key for r in first}) == len(first)
    once, twice = screen(first), screen(first + copy)
    assert twice.n == once.n and "1 duplicate image counted once." in twice.message
