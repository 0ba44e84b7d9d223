"""Exploration statistics: signatures, histograms, the nearest-signature classifier, files, CLI."""

import json

import numpy as np
import pytest

from bcds_core.explore import colour_histograms as hist
from bcds_core.explore import radial_signatures as radial
from bcds_core.explore.gallery import gallery_page, images_by_label
from bcds_core.explore.nearest_signature import fit_nearest_signature
from bcds_core.explore.outliers import farthest_per_class
from bcds_core.explore.stats_files import STATS_DIR, read_stats, write_stats
from bcds_core.explore.tables import signature_rows
from bcds_core.paths import SAMPLES_DIR
from bcds_core.segmentation.mask_features import mask_centre
from tests.test_cli import bcds


def _disc_image(radius: int, colour, side: int = 300, centre=(150, 150)) -> np.ndarray:
    rows, cols = np.mgrid[:side, :side]
    image = np.full((side, side, 3), 240, np.uint8)
    image[np.hypot(rows - centre[1], cols - centre[0]) < radius] = colour
    return image


def test_signature_of_a_disc_changes_colour_at_its_radius():
    signature = radial.radial_signature(_disc_image(40, (90, 40, 160)), (150, 150))
    radii = radial.bin_centres()
    red = signature[:, radial.CHANNELS.index("R")]
    assert np.all(red[radii < 36] == pytest.approx(90, abs=1))
    assert np.all(red[(radii > 44) & (radii < 140)] == pytest.approx(240, abs=1))


def test_rings_outside_the_image_are_missing_not_zero():
    signature = radial.radial_signature(_disc_image(20, (90, 40, 160), side=100, centre=(50, 50)), (50, 50))
    radii = radial.bin_centres()
    assert np.isnan(signature[radii > 75]).all()
    assert np.isfinite(signature[radii < 48]).all()


def test_hue_features_treat_the_ends_of_the_colour_circle_as_neighbours():
    near_zero, near_turn, opposite = (np.zeros((radial.N_BINS, len(radial.CHANNELS))) for _ in range(3))
    hue = radial.CHANNELS.index("H")
    near_zero[:, hue], near_turn[:, hue], opposite[:, hue] = 2, 253, 128
    a, b, c = (radial.signature_features(s) for s in (near_zero, near_turn, opposite))
    assert np.linalg.norm(a - b) < 0.2 * np.linalg.norm(a - c)


def test_mask_centre_is_the_centroid_and_the_image_centre_for_an_empty_mask():
    mask = np.zeros((50, 80), bool)
    mask[10:20, 30:50] = True
    assert mask_centre(mask) == pytest.approx((39.5, 14.5))
    assert mask_centre(np.zeros((5, 9), bool)) == (4.0, 2.0)


def test_histograms_split_cell_and_background_pixels():
    image = _disc_image(40, (90, 40, 160))
    mask = np.all(image == (90, 40, 160), axis=2)
    counts = hist.colour_histograms(image, mask)
    red = hist.CHANNELS.index("R")
    assert counts[0, red].sum() == mask.sum() and counts[1, red].sum() == (~mask).sum()
    assert counts[0, red, 90 // 8] == mask.sum()
    fractions = hist.to_fractions(counts)
    assert fractions[1, red].sum() == pytest.approx(1)


@pytest.mark.parametrize("metric", ["euclidean", "mahalanobis"])
def test_nearest_signature_separates_two_classes_and_round_trips(tmp_path, metric):
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 1, (60, 12)), rng.normal(2, 1, (60, 12))])
    features[::7, 3] = np.nan
    labels = ["a"] * 60 + ["b"] * 60
    classifier = fit_nearest_signature(features, labels, metric)
    assert np.mean(np.array(classifier.predict(features)) == np.array(labels)) > 0.95
    classifier.save(tmp_path / "c.npz")
    loaded = type(classifier).load(tmp_path / "c.npz")
    np.testing.assert_allclose(loaded.distances(features[:5]), classifier.distances(features[:5]), rtol=1e-5)


def test_nearest_signature_needs_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        fit_nearest_signature(np.zeros((4, 3)), ["a"] * 4)


def test_farthest_per_class_keeps_the_largest_of_each_class_largest_first():
    distances = np.array([1.0, 9.0, 3.0, 7.0, 2.0, 8.0])
    classes = ["a", "a", "a", "b", "b", "b"]
    assert farthest_per_class(distances, classes, 1) == [1, 5]
    assert farthest_per_class(distances, classes, 2) == [1, 5, 3, 2]


def test_gallery_pages_are_seeded_and_cover_every_image_once():
    by_label = images_by_label(SAMPLES_DIR)
    assert by_label and all(len(paths) >= 1 for paths in by_label.values())
    paths = [p for ps in by_label.values() for p in ps]
    first, n_pages = gallery_page(paths, seed=3, page=0, per_page=5)
    assert gallery_page(paths, seed=3, page=0, per_page=5)[0] == first
    pages = [gallery_page(paths, 3, k, 5)[0] for k in range(n_pages)]
    assert sorted(p for page in pages for p in page) == sorted(paths)
    assert gallery_page(paths, 3, 10_000, 5)[0] == pages[-1]


def test_the_shipped_statistics_are_small_and_readable():
    bundle = read_stats()
    shipped = [p for p in STATS_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in shipped) < 5 * 2**20
    assert bundle.classifier is not None and len(bundle.classifier.classes) == 8
    assert bundle.evaluation["split"] == "test" and bundle.evaluation["n"] > 1000
    assert {"neutrophil", "SNE", "PLATELET"} <= set(bundle.signatures)
    assert signature_rows(bundle, ["platelet"], "G")
    assert all(row["thumbnail"] in bundle.thumbnails for row in bundle.outliers)


def test_stats_and_radial_eval_commands_on_the_samples(tmp_path):
    out = tmp_path / "stats"
    summary = json.loads(bcds("stats", SAMPLES_DIR, "--out", out, "--json").stdout.strip().splitlines()[-1])
    assert summary["n_images"] == 33 and summary["n_fit"] == 33 and summary["accuracy_8"] is None
    written = read_stats(out)
    assert written.summary["n_images"] == 33 and written.classifier is not None
    write_stats(written, tmp_path / "again")
    assert read_stats(tmp_path / "again").summary == written.summary
    result = json.loads(
        bcds("radial-eval", SAMPLES_DIR, "--stats", out, "--json").stdout.strip().splitlines()[-1]
    )
    assert result["n"] == 33 and 0 <= result["accuracy_8"] <= 1


def test_radial_eval_without_statistics_says_what_to_run(tmp_path):
    result = bcds("radial-eval", SAMPLES_DIR, "--stats", tmp_path, "--json", check=False)
    assert result.returncode == 2 and "run `python -m bcds_core stats" in result.stderr


def test_a_statistics_folder_missing_any_required_file_is_reported_as_missing(tmp_path):
    import shutil

    from bcds_core.explore.stats_files import StatsMissingError

    for name in ("outliers.csv", "summary.json"):
        copy = tmp_path / name
        shutil.copytree(STATS_DIR, copy)
        (copy / name).unlink()
        with pytest.raises(StatsMissingError, match="run `python -m bcds_core stats"):
            read_stats(copy)


def test_an_upload_at_another_magnification_is_read_at_pbcs_pixel_size():
    """The class signatures are rings of PBC pixels: a cell photographed twice as large, read as it
    came, got another nearest class for 7 of the 11 shipped samples."""
    import cv2

    from bcds_core.image_io import decode_image
    from bcds_core.pixel_size import red_cell_diameter
    from bcds_ui.signature_data import analyze_upload

    measured = [
        p for p in sorted(SAMPLES_DIR.glob("*/*.jpg")) if red_cell_diameter(decode_image(p.read_bytes()).rgb)
    ]
    assert measured, "no shipped sample has red cells the ruler measures"
    rgb = decode_image(measured[0].read_bytes()).rgb
    larger = cv2.resize(rgb, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    ok, png = cv2.imencode(".png", cv2.cvtColor(larger, cv2.COLOR_RGB2BGR))
    read, _, found, _, pixel_size = analyze_upload(png.tobytes())
    assert found and pixel_size.source == "estimated"
    assert read.shape[0] == pytest.approx(rgb.shape[0], rel=0.15) and read.shape[1] == pytest.approx(
        rgb.shape[1], rel=0.15
    )
