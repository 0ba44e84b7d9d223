"""The core pipeline on real samples and on bad input (shipped weights)."""

import numpy as np
import pytest

from bcds_core.classifier.model import consistent_answer
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, GROUPS
from tests.bad_inputs import bad_corpus


def test_consistent_answer_picks_the_fine_class_inside_the_best_group():
    fine = np.zeros(len(FINE_CLASSES))
    fine[FINE_CLASSES.index("SNE")] = 0.40
    fine[FINE_CLASSES.index("BNE")] = 0.15
    fine[FINE_CLASSES.index("MY")] = 0.45
    group, label = consistent_answer(fine)
    assert GROUPS[group] == "neutrophil" and FINE_CLASSES[label] == "SNE"


@pytest.fixture(scope="module")
def sample_results(analyzer, sample_paths):
    """Every shipped sample analysed once, for the tests that only read the answers."""
    return analyzer.analyze_bytes([(p.name, p.read_bytes()) for p in sample_paths])


def test_samples_get_a_consistent_answer_and_mostly_the_right_group(sample_results, sample_paths):
    right = 0
    for path, result in zip(sample_paths, sample_results, strict=True):
        assert result.ok and result.error is None
        assert result.mask.shape == result.rgb.shape[:2] and result.mask.any()
        assert FINE_TO_GROUP[result.label] == result.group
        assert result.group_confidence >= result.label_confidence - 1e-6
        assert abs(sum(p for _, p in result.top) - 1) < 0.5 and len(result.top) == 3
        right += result.group == path.parent.name
    assert right >= 0.85 * len(sample_paths)


def test_bad_files_never_cost_the_good_ones_their_answers(analyzer, sample_paths):
    corpus = bad_corpus()
    good = (sample_paths[0].name, sample_paths[0].read_bytes())
    items = [(name, data) for name, (data, _) in corpus.items()] + [good]
    results = analyzer.analyze_bytes(items)
    assert len(results) == len(items)
    for (name, (_, expected)), result in zip(corpus.items(), results, strict=False):
        assert result.file == name
        if expected == "error":
            assert not result.ok and result.status == "rejected" and result.message
            assert result.label is None
    assert results[-1].ok and results[-1].label is not None


@pytest.mark.parametrize("side", [120, 300, 1500])
def test_any_image_size_gets_a_mask_of_the_image_it_was_read_at(analyzer, sample_paths, side):
    from PIL import Image

    from tests.conftest import encode

    image = Image.open(sample_paths[5]).convert("RGB").resize((side, side))
    result = analyzer.analyze_bytes([("resized.png", encode(image, "PNG"))])[0]
    assert result.ok and result.mask.shape == result.rgb.shape[:2]
    assert result.pixel_size_source in ("estimated", "assumed") and result.pixel_size_um > 0


def test_a_photo_that_is_not_blood_gets_no_confident_class(analyzer):
    from PIL import Image
    from skimage import data

    from tests.conftest import encode

    for photo in (data.astronaut(), data.coffee(), data.chelsea()):
        result = analyzer.analyze_bytes([("photo.png", encode(Image.fromarray(photo), "PNG"))])[0]
        assert result.status in ("rejected", "review"), result.message
        if result.status == "rejected":
            assert result.group is None and result.label is None and result.top == [], result.message


def test_a_tight_crop_at_a_given_pixel_size_is_read_not_rejected(analyzer, sample_paths):
    """A cell that fills a crop is a valid input whoever says its pixel size (the user, a lab profile)."""
    from PIL import Image

    from bcds_core.pixel_size import REFERENCE_PIXEL_UM
    from tests.conftest import encode

    rgb = np.asarray(Image.open(sample_paths[5]).convert("RGB"))
    crop = Image.fromarray(rgb[100:250, 100:250])  # the cell at the centre, slivers of red cells
    assumed, given = (
        analyzer.analyze_bytes([("crop.png", encode(crop, "PNG"))], pixel_size)[0]
        for pixel_size in (None, REFERENCE_PIXEL_UM)
    )
    assert given.status != "rejected" and given.pixel_size_source == "given", given.message
    assert given.pixel_size_um == pytest.approx(REFERENCE_PIXEL_UM, rel=1e-3)
    assert "assumed for a tight crop" not in given.message
    assert assumed.status != "rejected" and assumed.pixel_size_source == "assumed"


def test_an_assumed_pixel_size_off_a_cellavision_frame_is_reviewed(analyzer, sample_paths, sample_results):
    """The same cell, answered ``ok`` in its CellaVision frame, needs a person once cropped to
    300x300 with no red cells to measure; given the pixel size, that reason goes away (the image
    stays under review for its set-up: ``test_only_a_cellavision_frame_or_a_lab_profile_lets_an_answer_be_ok``)."""
    from PIL import Image

    from bcds_core.pixel_size import REFERENCE_PIXEL_UM
    from tests.conftest import encode

    path = next(
        p
        for p, r in zip(sample_paths, sample_results, strict=True)
        if r.status == "ok" and r.pixel_size_source == "assumed"
    )
    rgb = np.asarray(Image.open(path).convert("RGB"))
    top, left = (rgb.shape[0] - 300) // 2, (rgb.shape[1] - 300) // 2
    crop = encode(Image.fromarray(rgb[top : top + 300, left : left + 300]), "PNG")
    assumed, given = (
        analyzer.analyze_bytes([("crop.png", crop)], um)[0] for um in (None, REFERENCE_PIXEL_UM)
    )
    assert assumed.pixel_size_source == "assumed"
    assert assumed.status == "review" and "pixel size is unknown" in assumed.message
    assert "pixel size is unknown" not in given.message


def test_a_field_of_several_cells_is_rejected_without_a_class(analyzer, sample_paths):
    """A script reading ``group`` without ``status`` must not take a field's guess for an answer."""
    from bcds_core.benchmark import field_of
    from bcds_core.image_io import decode_image

    field = field_of(decode_image(sample_paths[0].read_bytes()).rgb)
    result = analyzer.analyze_bytes([("field.jpg", field)])[0]
    assert result.status == "rejected" and "smear field with" in result.message
    assert (result.group, result.label, result.group_confidence, result.top) == (None, None, None, [])


@pytest.mark.parametrize(
    ("white_cells", "status", "message", "expected_status", "kept"),
    [
        (1, "review", "Check by eye: possible blast (about 23 um across).", "review", "possible blast"),
        (1, "rejected", "No cell was found in the image.", "rejected", "No cell was found"),
        (2, "review", "Check by eye: possible blast.", "rejected", None),
    ],
)
def test_a_field_keeps_what_its_answer_said_and_a_rejection_stays_one(
    monkeypatch, white_cells, status, message, expected_status, kept
):
    """The field note replaced the whole message (a blast's warning went) and made a rejection
    ``review`` with no class; a field of two cells stayed ``single_cell``."""
    from bcds_core import analysis
    from bcds_core.analysis import CellResult, answer_on_a_field

    monkeypatch.setattr(analysis, "find_white_cells", lambda rgb: [object()] * white_cells)
    result = CellResult(file="field.jpg", ok=True, status=status, message=message, single_cell=True)
    result.rgb = np.zeros((8, 8, 3), np.uint8)
    answer_on_a_field(result)
    assert result.status == expected_status
    assert f"smear field with {white_cells} white cell" in result.message
    assert kept is None or kept in result.message
    assert result.single_cell == (white_cells == 1)


def test_candidates_start_with_the_answer_even_where_a_likelier_abnormal_group_was_not_answered(analyzer):
    """A smudge cell at 0.80 below its threshold: eosinophil is answered, and the candidates were
    ["smudge"], a set without the answer."""
    fine = np.full(len(FINE_CLASSES), 0.05 / (len(FINE_CLASSES) - 2))
    fine[FINE_CLASSES.index("SMUDGE")], fine[FINE_CLASSES.index("EO")] = 0.80, 0.15
    assert analyzer.candidates(fine, "eosinophil")[0] == "eosinophil"
    assert "smudge" in analyzer.candidates(fine, "eosinophil")


def test_only_a_cellavision_frame_or_a_lab_profile_lets_an_answer_be_ok(analyzer, sample_paths):
    """The same cell framed as CellaVision frames it, then on a larger canvas of its own slide (another
    set-up's frame) with the pixel size given: the second is reviewed for its set-up; a profile of
    its pixel size alone does not lift the reason, one fitted on that set-up's images does (here
    BatchNorm statistics, the release's own, so that the answer stays the same)."""
    import cv2

    from bcds_core.classifier.batchnorm import batchnorm_statistics
    from bcds_core.image_io import decode_image, encode_png
    from bcds_core.lab_profile import LabProfile

    data = sample_paths[0].read_bytes()
    rgb = decode_image(data).rgb
    wider = encode_png(cv2.copyMakeBorder(rgb, 60, 60, 60, 60, cv2.BORDER_REFLECT))
    reason = "not a CellaVision single-cell image"
    framed, other = analyzer.analyze_bytes([("framed.jpg", data), ("wider.png", wider)], 0.1)
    assert framed.pixel_size.cellavision_frame and reason not in framed.message
    assert not other.pixel_size.cellavision_frame and other.status == "review" and reason in other.message
    sized = LabProfile(analyzer.classifier_config["weights_sha256"], 0.1, None, None, {})
    assert reason in analyzer.analyze_bytes([("wider.png", wider)], profile=sized)[0].message
    fitted = LabProfile(
        sized.classifier_sha256, 0.1, None, None, {}, batchnorm_statistics(analyzer.classifier)
    )
    assert reason not in analyzer.analyze_bytes([("wider.png", wider)], profile=fitted)[0].message
