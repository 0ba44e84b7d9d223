"""Explanations on a real sample with the shipped weights: shapes, targets, and faithfulness."""

import numpy as np
import pytest

from bcds_core.explain import METHODS, explain
from bcds_core.explain.faithfulness import RANDOM_MAP, score_cell, summarise
from bcds_core.taxonomy import FINE_CLASSES, NORMAL_FINE_CLASSES


@pytest.fixture(scope="module")
def prepared(analyzer, sample_paths):
    from bcds_core.image_io import decode_image

    cells = analyzer.prepare([decode_image(p.read_bytes()).rgb for p in sample_paths[::8]])
    targets = [int(np.argmax(f)) for f in analyzer.fine_probabilities(cells)]
    return cells, targets


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "eigencam"])
def test_cam_maps_fit_the_crop_and_the_image_and_name_their_target(analyzer, prepared, method):
    cells, targets = prepared
    explanation = explain(analyzer, cells[0], method, targets[0])
    side = analyzer.classifier_config["input_side"]
    assert explanation.crop_heat.shape == (side, side)
    assert explanation.image_heat.shape == cells[0].image_shape
    assert explanation.crop_heat.min() >= 0 and explanation.crop_heat.max() == pytest.approx(1)
    assert explanation.target == FINE_CLASSES[targets[0]] and 0 <= explanation.inside_mask_share <= 1


def test_a_different_target_gives_a_different_map(analyzer, prepared):
    cells, targets = prepared
    other = (targets[0] + 5) % len(NORMAL_FINE_CLASSES)
    first = explain(analyzer, cells[0], "gradcam", targets[0]).crop_heat
    second = explain(analyzer, cells[0], "gradcam", other).crop_heat
    assert not np.allclose(first, second)


def test_concurrent_explanations_give_the_maps_of_one_thread(analyzer, prepared):
    """Sessions share one classifier: 8 threads explaining at once must not see each other's hooks."""
    from concurrent.futures import ThreadPoolExecutor

    cells, targets = prepared
    jobs = [
        (cells[i % len(cells)], targets[i % len(cells)], method) for i in range(8) for method in ("gradcam",)
    ]
    alone = [explain(analyzer, cell, method, target).crop_heat for cell, target, method in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda job: explain(analyzer, job[0], job[2], job[1]).crop_heat, jobs))
    for one, other in zip(alone, together, strict=True):
        assert np.allclose(one, other, atol=1e-5)


def test_unknown_method_is_refused_with_the_known_ones(analyzer, prepared):
    with pytest.raises(ValueError, match="gradcam"):
        explain(analyzer, prepared[0][0], "saliency", 0)
    assert "lime" in METHODS


def test_grad_cam_is_more_faithful_than_a_random_map(analyzer, prepared):
    cells, targets = prepared
    scored = [score_cell(analyzer, cells[i], targets[i], ["gradcam"], seed=i) for i in range(3)]
    grad_cam, random_map = summarise(scored, "gradcam"), summarise(scored, RANDOM_MAP)
    assert grad_cam.n == grad_cam.n_road == 3
    assert grad_cam.road_combined > random_map.road_combined + 0.05
    assert grad_cam.blank_combined > random_map.blank_combined + 0.05
    assert grad_cam.inside_mask_share > grad_cam.mask_area_share
