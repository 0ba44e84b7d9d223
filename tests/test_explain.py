"""Explanations on a real sample with the shipped weights: shapes, targets, and faithfulness."""

import threading

import numpy as np
import pytest
import torch
from pytorch_grad_cam import GradCAM, HiResCAM

from bcds_core.explain import METHODS, FineClassTarget, GroupTarget, explain, explain_cell, target_named
from bcds_core.explain.base import CellExplanation, CropPlacement
from bcds_core.explain.cam import backward_stops_at, target_layers
from bcds_core.explain.faithfulness import RANDOM_MAP, method_scores, score_cell
from bcds_core.explain.targets import ProbabilityOf
from bcds_core.taxonomy import FINE_CLASSES, GROUPS, NORMAL_FINE_CLASSES, group_matrix


@pytest.fixture(scope="module")
def prepared(analyzer, sample_paths):
    from bcds_core.image_io import decode_image

    cells = analyzer.prepare([decode_image(p.read_bytes()).rgb for p in sample_paths[::8]])
    targets = [int(np.argmax(f)) for f in analyzer.fine_probabilities(cells)]
    return cells, targets


def model_inputs(analyzer, cell):
    """What ``explain`` takes besides the method and target: the model, its input and the crop mask."""
    return analyzer.classifier, analyzer.classifier_input([cell]), analyzer.crop_mask(cell)


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "hirescam", "eigencam"])
def test_cam_maps_fit_the_crop_and_the_image_and_name_their_target(analyzer, prepared, method):
    cells, targets = prepared
    explanation = explain_cell(analyzer, cells[0], method, FineClassTarget(targets[0]))
    side = analyzer.classifier_config["input_side"]
    assert explanation.crop_heat.shape == (side, side) and explanation.crop_heat.dtype == np.float32
    assert explanation.image_heat.shape == cells[0].image_shape
    assert explanation.crop_heat.min() >= 0 and explanation.crop_heat.max() == pytest.approx(1)
    assert explanation.target == FINE_CLASSES[targets[0]] and 0 <= explanation.inside_mask_share <= 1
    assert explanation.signed_crop is None and explanation.signed_image_heat is None


@pytest.mark.parametrize("cam_class", [GradCAM, HiResCAM])
def test_cams_stop_the_backward_pass_at_their_layer_and_keep_the_map_and_the_weights_gradients(
    analyzer, prepared, cam_class
):
    model, inputs, _ = model_inputs(analyzer, prepared[0][0])
    target = FineClassTarget(prepared[1][0])
    with cam_class(model=model, target_layers=target_layers(model)) as cam:
        whole_backward = cam(input_tensor=inputs, targets=[target])[0]
    with (
        backward_stops_at(model, target_layers(model)[0]),
        cam_class(model=model, target_layers=target_layers(model)) as cam,
    ):
        assert not any(p.requires_grad for p in model.parameters())
        stopped = cam(input_tensor=inputs, targets=[target])[0]
    assert np.array_equal(stopped, whole_backward) and stopped.max() > 0
    assert all(p.requires_grad for p in model.parameters())


def test_a_different_target_gives_a_different_map(analyzer, prepared):
    cells, targets = prepared
    other = (targets[0] + 5) % len(NORMAL_FINE_CLASSES)
    first = explain(*model_inputs(analyzer, cells[0]), "gradcam", FineClassTarget(targets[0])).crop_heat
    second = explain(*model_inputs(analyzer, cells[0]), "gradcam", FineClassTarget(other)).crop_heat
    assert not np.allclose(first, second)


def test_a_one_class_group_gets_the_map_of_its_class(analyzer, prepared):
    inputs = model_inputs(analyzer, prepared[0][0])
    group = explain(*inputs, "gradcam", target_named("basophil"))
    fine = explain(*inputs, "gradcam", target_named("BA"))
    assert group.target == "basophil" and fine.target == "BA"
    assert np.allclose(group.crop_heat, fine.crop_heat, atol=1e-6)


def test_a_group_target_scores_the_log_of_its_classes_probability_mass():
    logits = torch.randn(3, len(FINE_CLASSES))
    neutrophil = GroupTarget(GROUPS.index("neutrophil"))
    members = [FINE_CLASSES.index("BNE"), FINE_CLASSES.index("SNE")]
    assert torch.allclose(neutrophil(logits), torch.log(logits[:, members].exp().sum(1)))
    groups = torch.softmax(logits / 1.5, 1) @ torch.from_numpy(group_matrix())
    assert torch.allclose(ProbabilityOf(neutrophil, 1.5)(logits), groups[:, GROUPS.index("neutrophil")])
    with pytest.raises(ValueError, match="neither"):
        target_named("granulocyte")


def test_lime_gives_a_signed_map_on_the_crop_and_the_image(analyzer, prepared):
    cells, targets = prepared
    explanation = explain_cell(analyzer, cells[0], "lime", FineClassTarget(targets[0]))
    assert explanation.signed_crop.min() >= -1 and explanation.signed_crop.max() <= 1
    assert explanation.signed_image_heat.shape == cells[0].image_shape
    assert np.abs(explanation.signed_image_heat).max() == pytest.approx(1)


def test_concurrent_explanations_give_the_maps_of_one_thread(analyzer, prepared):
    """Sessions share one classifier: 8 threads explaining at once must not see each other's hooks."""
    from concurrent.futures import ThreadPoolExecutor

    cells, targets = prepared
    jobs = [(cells[i % len(cells)], FineClassTarget(targets[i % len(cells)])) for i in range(8)]
    alone = [explain_cell(analyzer, cell, "gradcam", target).crop_heat for cell, target in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(
            pool.map(lambda job: explain_cell(analyzer, job[0], "gradcam", job[1]).crop_heat, jobs)
        )
    for one, other in zip(alone, together, strict=True):
        assert np.allclose(one, other, atol=1e-5)


def test_unknown_method_is_refused_with_the_known_ones(analyzer, prepared):
    with pytest.raises(ValueError, match="gradcam"):
        explain_cell(analyzer, prepared[0][0], "saliency", FineClassTarget(0))
    assert "lime" in METHODS and "hirescam" in METHODS


def test_grad_cam_is_more_faithful_than_a_random_map(analyzer, prepared):
    cells, targets = prepared
    scored = [
        score_cell(*model_inputs(analyzer, cells[i]), FineClassTarget(targets[i]), ["gradcam"], seed=i)
        for i in range(3)
    ]
    grad_cam, random_map = method_scores(scored, "gradcam"), method_scores(scored, RANDOM_MAP)
    assert grad_cam.n == grad_cam.n_road == 3
    assert grad_cam.road_combined > random_map.road_combined + 0.05
    assert grad_cam.blank_combined > random_map.blank_combined + 0.05
    assert grad_cam.inside_mask_share > grad_cam.mask_area_share


def test_a_lab_profiles_network_explains_after_it_answered(analyzer, sample_paths):
    """The profile's network copy is first made while answering, under inference mode; the CAMs
    still take its gradients (its weights must not be inference tensors)."""
    from bcds_core.classifier.batchnorm import batchnorm_statistics
    from bcds_core.lab_profile import LabProfile

    statistics = {name: value * 1.01 for name, value in batchnorm_statistics(analyzer.classifier).items()}
    profile = LabProfile(analyzer.classifier_config["weights_sha256"], None, None, None, {}, statistics)
    result = analyzer.analyze_bytes([("cell.jpg", sample_paths[0].read_bytes())], profile=profile)[0]
    for method in ("gradcam", "hirescam"):
        explanation = explain_cell(analyzer, result.cell, method, target_named(result.group), profile=profile)
        assert explanation.crop_heat.max() == pytest.approx(1)
    assert all(p.requires_grad for p in analyzer.classifier_for(profile).parameters())


class CountingLock:
    """A lock that counts how often it was taken."""

    def __init__(self):
        self.taken = 0
        self._lock = threading.Lock()

    def __enter__(self):
        self._lock.acquire()
        self.taken += 1

    def __exit__(self, *exc):
        self._lock.release()


def test_lime_takes_the_shared_models_lock_per_batch_and_a_cam_once(analyzer, prepared):
    """LIME only runs the model, so other sessions may answer between its batches; a CAM hooks it."""
    inputs = model_inputs(analyzer, prepared[0][0])
    target = FineClassTarget(prepared[1][0])
    lime_lock, cam_lock = CountingLock(), CountingLock()
    explain(*inputs, "lime", target, lock=lime_lock)
    explain(*inputs, "gradcam", target, lock=cam_lock)
    assert lime_lock.taken >= 2 and cam_lock.taken == 1


def test_an_explanation_of_a_photo_keeps_only_its_crop_maps():
    """A session keeps 40 explanations: over a 2048x1536 photo, image-sized maps would hold 12.6 MB each."""
    crop = np.zeros((256, 256), np.float32)
    crop[96:160, 96:160] = 1.0
    explanation = CellExplanation(
        method="lime",
        target="LY",
        crop_heat=crop,
        signed_crop=crop - 0.5,
        inside_mask_share=1.0,
        seconds=0.0,
        placement=CropPlacement(centre=(1024, 768), scale=1.0, image_shape=(1536, 2048)),
    )
    kept = [value.nbytes for value in vars(explanation).values() if isinstance(value, np.ndarray)]
    assert kept == [crop.nbytes, crop.nbytes]
    assert explanation.image_heat.shape == explanation.signed_image_heat.shape == (1536, 2048)
    assert explanation.image_heat[768, 1024] == 1.0 and explanation.image_heat[0, 0] == 0.0


def test_eigencam_is_the_same_map_for_every_class_and_named_class_agnostic(analyzer, prepared):
    """EigenCAM takes no target: the page must not title its map with a class."""
    from bcds_core.explain.cam import CLASS_AGNOSTIC

    cells, targets = prepared
    maps = [
        explain_cell(analyzer, cells[0], "eigencam", FineClassTarget(t)).crop_heat
        for t in (targets[0], FINE_CLASSES.index("BLAST"))
    ]
    assert np.array_equal(*maps) and "eigencam" in CLASS_AGNOSTIC
    assert "gradcam" not in CLASS_AGNOSTIC and "scorecam" not in METHODS


def test_the_heat_caption_says_nothing_of_an_empty_map_or_of_limes_masked_superpixels(analyzer, prepared):
    from dataclasses import replace

    from bcds_ui.cell_view import heat_caption

    explanation = explain_cell(analyzer, prepared[0][0], "gradcam", FineClassTarget(prepared[1][0]))
    assert heat_caption(explanation, "gradcam").endswith("of the heat lies inside the cell mask.")
    empty = replace(explanation, crop_heat=np.zeros_like(explanation.crop_heat))
    assert heat_caption(empty, "gradcam").startswith("The map is empty")
    assert heat_caption(explanation, "lime") == "LIME scores the superpixels inside the cell mask only."
