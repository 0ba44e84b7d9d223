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
    base = Evidence(group="lymphocyte", label_confidence=0.95, review_threshold=0.8)
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
