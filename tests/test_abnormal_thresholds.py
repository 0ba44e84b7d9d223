"""Abnormal groups win or flag only at thresholds fitted on patients the network did not train on."""

from dataclasses import replace

import numpy as np

from bcds_core.analysis import CellResult, fill_answer
from bcds_core.classifier.abnormal_thresholds import (
    BLAST_SENSITIVITY,
    FALSE_FLAG_BUDGET,
    AbnormalThresholds,
    abnormal_mass,
)
from bcds_core.segmentation.mask_features import MaskFeatures
from bcds_core.status import Evidence, decide_status
from bcds_core.taxonomy import ABNORMAL_GROUPS, FINE_CLASSES, GROUPS


def _groups(**probabilities: float) -> np.ndarray:
    """Group probabilities with the rest of the mass on lymphocyte."""
    row = np.zeros(len(GROUPS))
    for name, p in probabilities.items():
        row[GROUPS.index(name)] = p
    row[GROUPS.index("lymphocyte")] += 1 - row.sum()
    return row


def _validation(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Blasts with blast probability spread over 0.2-1, normal lymphocytes with some variant-lymphocyte mass."""
    blasts = [_groups(blast=p) for p in rng.uniform(0.2, 1.0, 200)]
    normal = [_groups(variant_lymphocyte=p) for p in rng.uniform(0.0, 0.6, 800)]
    truth = np.array(["blast"] * 200 + ["lymphocyte"] * 800)
    return np.stack(blasts + normal), truth


def test_fitted_thresholds_meet_their_targets_on_the_fitting_data():
    probabilities, truth = _validation(np.random.default_rng(0))
    thresholds = AbnormalThresholds.fit(probabilities, truth)
    point = thresholds.operating_point(probabilities, truth)
    assert point["blasts_caught"] >= BLAST_SENSITIVITY - 0.01
    normal_vly = probabilities[truth == "lymphocyte", GROUPS.index("variant_lymphocyte")]
    assert np.mean(normal_vly >= thresholds.thresholds["variant_lymphocyte"]) <= FALSE_FLAG_BUDGET + 0.005
    # the variant-lymphocyte threshold sits near the top of the normal cells' scores, not at 0.2
    assert thresholds.thresholds["variant_lymphocyte"] > 0.5


def test_an_abnormal_group_below_its_threshold_gives_way_to_the_likeliest_normal_group():
    thresholds = AbnormalThresholds({g: 0.7 for g in ABNORMAL_GROUPS})
    group, flags = thresholds.answer(_groups(variant_lymphocyte=0.6))
    assert GROUPS[group] == "lymphocyte" and flags == ()
    group, flags = thresholds.answer(_groups(variant_lymphocyte=0.75))
    assert GROUPS[group] == "variant_lymphocyte" and flags == ()


def test_a_blast_at_its_threshold_is_flagged_on_a_normal_answer():
    thresholds = AbnormalThresholds({**{g: 0.9 for g in ABNORMAL_GROUPS}, "blast": 0.3})
    group, flags = thresholds.answer(_groups(blast=0.35, monocyte=0.45))
    assert GROUPS[group] == "monocyte" and flags == ("blast",)


def test_fill_answer_uses_the_thresholds_for_group_label_and_flags():
    fine = np.zeros(len(FINE_CLASSES))
    fine[FINE_CLASSES.index("VLY")] = 0.55
    fine[FINE_CLASSES.index("LY")] = 0.45
    result = CellResult(file="cell.jpg", ok=True)
    fill_answer(result, fine, AbnormalThresholds({g: 0.8 for g in ABNORMAL_GROUPS}))
    assert (result.group, result.label, result.flags) == ("lymphocyte", "LY", ())
    fill_answer(result, fine)
    assert (result.group, result.label) == ("variant_lymphocyte", "VLY")


def test_the_answers_of_many_cells_are_each_cells_answer():
    probabilities, _ = _validation(np.random.default_rng(1))
    thresholds = AbnormalThresholds({**{g: 0.5 for g in ABNORMAL_GROUPS}, "blast": 0.3})
    each = [thresholds.answer(p)[0] for p in probabilities]
    assert thresholds.answers(probabilities).tolist() == each
    assert {GROUPS[i] for i in each} == {"blast", "lymphocyte", "variant_lymphocyte"}


def test_the_exclusion_bar_is_the_highest_at_which_confident_normal_answers_are_right_often_enough():
    # 100 lymphocytes with no abnormal mass; 10 blasts read as lymphocytes, 0.12 of blast (below its threshold):
    # 91 % right with no bar, all right below 0.1
    probabilities = np.stack([_groups()] * 100 + [_groups(blast=0.12)] * 10)
    truth = np.array(["lymphocyte"] * 100 + ["blast"] * 10)
    thresholds = AbnormalThresholds({g: 0.5 for g in ABNORMAL_GROUPS})
    fitted = thresholds.with_exclusion(probabilities, truth, review_threshold=0.5)
    assert fitted.exclusion == 0.1 and fitted.thresholds == thresholds.thresholds
    assert abnormal_mass(_groups(blast=0.05))[0] < fitted.exclusion <= abnormal_mass(_groups(blast=0.12))[0]
    # where the confident answers are right anyway, or there are none, no bar is set
    assert thresholds.with_exclusion(probabilities[:100], truth[:100], 0.5).exclusion == 1.0
    assert thresholds.with_exclusion(probabilities[100:], truth[100:], review_threshold=0.9).exclusion == 1.0


def test_a_normal_answer_whose_abnormal_share_is_not_excluded_goes_to_review():
    features = MaskFeatures(cell_found=True, area_fraction=0.2, touches_border=False, other_cells=0)
    base = Evidence(known_set_up=True, group="lymphocyte", label_confidence=0.95, review_threshold=0.8)
    assert decide_status(features, base)[0] == "ok"
    status, message = decide_status(features, replace(base, abnormal_share=0.12, abnormal_exclusion=0.1))
    assert status == "review" and "an abnormal cell is not excluded" in message and "12%" in message


def test_the_release_fits_the_abnormal_thresholds_on_every_patient_the_network_did_not_train_on(monkeypatch):
    """Validation and test patients of the source with abnormal cells; never another source's cells."""
    import torch

    from bcds_core.classifier import answer_checks
    from bcds_core.splits import SplitRow

    def row(split: str, label: str, group: str) -> SplitRow:
        return SplitRow("x.jpg", group, label, 360, 363, "0" * 64, split)

    # (source, split, label, group, blast logit, smudge logit, count)
    layout = [
        ("pbc", "train", "LY", "lymphocyte", 0.0, 0.0, 40),
        ("pbc", "val", "LY", "lymphocyte", 0.0, 0.0, 40),
        ("pbc", "test", "LY", "lymphocyte", 0.0, 6.0, 40),  # smudge-like: would raise the smudge threshold
        ("deepapl", "train", "BLAST", "blast", 9.0, 0.0, 40),
        ("deepapl", "val", "BLAST", "blast", 9.0, 0.0, 40),  # confident blasts
        ("deepapl", "test", "BLAST", "blast", 4.0, 0.0, 40),  # the test patients' blasts are less so
        ("deepapl", "val", "LY", "lymphocyte", 0.0, 0.0, 100),
        ("deepapl", "test", "LY", "lymphocyte", 0.0, 0.0, 100),
    ]
    rows, source, logits = [], [], []
    for name, split, label, group, blast, smudge, count in layout:
        rows += [row(split, label, group)] * count
        source += [name] * count
        z = np.zeros(len(FINE_CLASSES), np.float32)
        z[FINE_CLASSES.index("LY")] = 5.0
        z[FINE_CLASSES.index("BLAST")] = blast
        z[FINE_CLASSES.index("SMUDGE")] = smudge
        logits += [z + np.random.default_rng(len(logits)).normal(0, 0.3, (count, len(z))).astype(np.float32)]
    logits = np.concatenate(logits)
    cache = type(
        "Cache", (), {"rows": rows, "mask_found": np.ones(len(rows), bool), "source": np.array(source)}
    )
    rng = np.random.default_rng(1)
    features = rng.normal(size=(len(rows), 4)).astype(np.float32)

    def cached(model, cache, indices, config):
        return features[indices], torch.from_numpy(logits[indices])

    monkeypatch.setattr(answer_checks, "cached_features", cached)
    checks, measured = answer_checks.fit_answer_checks(
        None, {"temperature": 1.0, "review_threshold": 0.8}, cache
    )
    assert measured["abnormal_fit_images"] == 40 + 40 + 100 + 100
    blast = checks.abnormal.thresholds["blast"]
    assert blast < 0.5  # the test patients' blasts count: fitted on the validation ones alone it is above 0.9
    assert checks.abnormal.thresholds["smudge"] < 0.1  # PBC's smudge-like test cells do not


def test_the_screening_bar_is_reached_by_its_budget_of_normal_cells_and_survives_the_exclusion_bar():
    """The bar the leukaemia screen counts by: fitted beside the thresholds, kept when the exclusion
    bar is fitted after them, none where no budget is given (the screen then counts answers only)."""
    from bcds_core.classifier.abnormal_thresholds import SCREEN_FLAG_BUDGET, blast_equivalent_probability

    rng = np.random.default_rng(0)
    blasts = [_groups(blast=p) for p in rng.uniform(0.2, 1.0, 200)]
    normal = [_groups(blast=p, abnormal_promyelocyte=q) for p, q in rng.uniform(0.0, 0.3, (800, 2))]
    probabilities, truth = np.stack(blasts + normal), np.array(["blast"] * 200 + ["lymphocyte"] * 800)
    fitted = AbnormalThresholds.fit(probabilities, truth).with_exclusion(probabilities, truth, 0.5)
    reached = fitted.likely_blast_equivalent(probabilities)
    assert abs(reached[truth == "lymphocyte"].mean() - SCREEN_FLAG_BUDGET) < 0.005
    # the two abnormal groups count together: neither alone reaches the bar here
    both = _groups(blast=fitted.screen_bar / 2 + 0.01, abnormal_promyelocyte=fitted.screen_bar / 2)
    assert (
        blast_equivalent_probability(both)[0] >= fitted.screen_bar and fitted.likely_blast_equivalent(both)[0]
    )
    none = AbnormalThresholds.fit(probabilities, truth, screen_budget=0)
    assert none.screen_bar is None and not none.likely_blast_equivalent(probabilities).any()


def test_the_screening_bar_is_sealed_with_the_release_and_a_release_without_one_has_none(tmp_path):
    from bcds_core.classifier.answer_checks import AnswerChecks
    from bcds_core.classifier.familiarity import Familiarity
    from bcds_core.weights_io import read_sealed_json, write_sealed_json

    write_sealed_json(tmp_path / "config.json", {"review_threshold": 0.9})
    familiarity = Familiarity(np.zeros((2, 3), np.float32), np.eye(3, dtype=np.float32), 4.0)
    thresholds = AbnormalThresholds({g: 0.5 for g in ABNORMAL_GROUPS}, 0.1, screen_bar=0.27)
    AnswerChecks(familiarity, 0.7, abnormal=thresholds, review_threshold=0.9).save(tmp_path)
    config = read_sealed_json(tmp_path / "config.json")
    assert AnswerChecks.load(tmp_path, config).abnormal == thresholds
    del config["answer_checks"]["abnormal_screen_bar"]  # a release fitted before the bar existed
    assert AnswerChecks.load(tmp_path, config).abnormal.screen_bar is None


def test_a_blast_answered_as_a_monocyte_counts_for_the_screen_until_a_person_corrects_it():
    """A blast of another hospital is often the runner-up to a normal group: the screen counts it by
    its probability, the differential by its answer; a person's correction settles both."""
    from bcds_core.sample_review import SampleReview
    from bcds_core.screening import screen

    thresholds = AbnormalThresholds({g: 0.9 for g in ABNORMAL_GROUPS}, screen_bar=0.3)
    fine = np.zeros(len(FINE_CLASSES))
    fine[FINE_CLASSES.index("MO")], fine[FINE_CLASSES.index("BLAST")] = 0.6, 0.4
    neutrophil = np.zeros(len(FINE_CLASSES))
    neutrophil[FINE_CLASSES.index("SNE")] = 1.0
    results = []
    for index, probabilities in enumerate([fine, fine] + [neutrophil] * 20):
        result = CellResult(f"{index}.jpg", True, status="review")
        fill_answer(result, probabilities, thresholds)
        results.append(result)
    assert results[0].group == "monocyte" and results[0].flags == () and results[0].likely_blast_equivalent
    found = screen(results)
    assert found.leukaemia_suspected and found.driving_cells == ["0.jpg", "1.jpg"]
    assert found.message.startswith(
        "Leukaemia suspected: 0 blasts, 0 abnormal promyelocytes and 2 cells answered as another group but "
        "likely a blast or abnormal promyelocyte among 22 white cells (9.1%)"
    )
    assert "screening bar, 0.300, fitted on the normal cells" in screen(results, thresholds.screen_bar).rule
    review = SampleReview("S-1")
    review.correct("0.jpg", "MO", "Dr A")
    assert not screen(review.reviewed(results)).leukaemia_suspected
    # without a screening bar (an older release) only answers count, as before
    for result in results:
        fill_answer(result, result.fine_probabilities, AbnormalThresholds({g: 0.9 for g in ABNORMAL_GROUPS}))
    assert not screen(results).leukaemia_suspected and "likely" not in screen(results).rule
