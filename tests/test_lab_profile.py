"""Lab profiles: the head moves only normal groups' probability, and a bad profile is refused clearly."""

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import save as safetensors_bytes

from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.lab_profile import (
    PROFILE_FILE,
    GroupHead,
    LabProfile,
    MoreViews,
    ProfileError,
    adjust_groups,
    fit_head,
)
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, GROUPS, NORMAL_GROUPS
from bcds_core.weights_io import SEAL_FIELD, write_sealed_json

#: Side of a tight crop cut from a 360-px sample: the cell and slivers of red cells, no ruler.
TIGHT_SIDE = 170


def test_the_head_shares_the_normal_groups_and_never_moves_a_blast():
    groups = np.zeros((1, len(GROUPS)))
    groups[0, GROUPS.index("platelet")] = 0.6
    groups[0, GROUPS.index("neutrophil")] = 0.1
    groups[0, GROUPS.index("blast")] = 0.3
    adjusted = adjust_groups(groups, ["lymphocyte", "neutrophil"], np.array([[0.25, 0.75]]))
    assert adjusted[0, GROUPS.index("blast")] == pytest.approx(0.3)
    assert adjusted[0, GROUPS.index("platelet")] == 0
    assert adjusted[0, GROUPS.index("neutrophil")] == pytest.approx(0.7 * 0.75)
    assert adjusted.sum() == pytest.approx(1.0)


def test_a_head_fits_on_a_few_cells_per_group_with_a_single_cell_of_a_rare_one():
    # 10 + 10 + 5 + 5 + 1 cells, as a lab labels them: cross-validation folds then hold fewer
    # cells than the head's usual number of principal components.
    labels = ["neutrophil"] * 10 + ["eosinophil"] * 10 + ["lymphocyte"] * 5 + ["monocyte"] * 5 + ["basophil"]
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(len(labels), 512)).astype(np.float32)
    groups = np.full((len(labels), len(GROUPS)), 1.0 / len(GROUPS))
    head, held_out = fit_head(embeddings, groups, labels)
    assert sorted(head.groups) == sorted(set(labels))
    assert held_out.shape == groups.shape and np.allclose(held_out.sum(1), 1.0, atol=1e-5)


def test_a_cells_other_views_are_held_out_with_it_so_they_cannot_vouch_for_it():
    """Labels drawn at random cannot be learned: a head that saw another view of a held-out cell
    (here an exact copy, as near as views come) would name it right from memory."""
    rng = np.random.default_rng(1)
    labels = list(rng.permutation(["neutrophil", "lymphocyte", "monocyte"] * 10))
    embeddings = rng.normal(size=(30, 64)).astype(np.float32)
    groups = np.full((30, len(GROUPS)), 1.0 / len(GROUPS))
    copies = MoreViews(np.vstack([embeddings] * 3), np.vstack([groups] * 3), np.tile(np.arange(30), 3), 3)
    head, held_out = fit_head(embeddings, groups, labels, copies)
    right = np.array(GROUPS)[held_out.argmax(1)] == np.array(labels)
    assert held_out.shape == groups.shape and right.mean() < 0.6
    assert sorted(head.groups) == ["lymphocyte", "monocyte", "neutrophil"]
    assert not np.allclose(head.coef, fit_head(embeddings, groups, labels)[0].coef)  # the views were learned


def test_only_the_views_of_the_cells_kept_are_kept_and_renumbered():
    views = MoreViews(np.arange(8.0).reshape(4, 2), np.zeros((4, 3)), np.array([0, 2, 3, 2]), 2)
    kept = views.subset(np.array([False, True, True, True]))
    assert kept.cells.tolist() == [1, 2, 1] and kept.embeddings[:, 0].tolist() == [2.0, 4.0, 6.0]


def test_adjusting_keeps_fine_classes_consistent_with_their_groups():
    rng = np.random.default_rng(0)
    fine = rng.dirichlet(np.ones(len(FINE_CLASSES)), size=3)
    head = GroupHead(
        ["neutrophil", "monocyte"], np.zeros(4), np.eye(2, 4), np.zeros((1, 2 + len(GROUPS))), np.zeros(1)
    )
    profile = LabProfile("sha", None, None, head, {})
    embeddings = rng.normal(size=(3, 4))
    adjusted = profile.adjust(fine, embeddings)
    assert np.allclose(adjusted.sum(1), 1)
    blast = FINE_CLASSES.index("BLAST")
    assert np.allclose(adjusted[:, blast], fine[:, blast])
    groups = fine @ GROUP_MATRIX
    wanted = adjust_groups(groups, head.groups, head.probabilities(embeddings, groups))
    assert np.allclose(adjusted @ GROUP_MATRIX, wanted, atol=1e-9)
    neutrophil = adjusted @ GROUP_MATRIX[:, GROUPS.index("neutrophil")]
    normal_mass = groups[:, [GROUPS.index(g) for g in NORMAL_GROUPS]].sum(1)
    assert np.allclose(neutrophil, normal_mass / 2)  # the head's zero weights: 50/50
    segmented, band = FINE_CLASSES.index("SNE"), FINE_CLASSES.index("BNE")
    assert np.allclose(adjusted[:, segmented] / adjusted[:, band], fine[:, segmented] / fine[:, band])


@pytest.fixture(scope="module")
def profile_dir(analyzer, sample_paths, tmp_path_factory):
    from bcds_core.adapt import fit_profile, lab_items

    lab = tmp_path_factory.mktemp("lab")
    for path in sample_paths:
        if path.parent.name in ("lymphocyte", "monocyte", "eosinophil"):
            (lab / path.parent.name).mkdir(exist_ok=True)
            shutil.copy(path, lab / path.parent.name / path.name)
    profile, cells = fit_profile(analyzer, lab_items(lab))
    assert profile.summary["n"] == len(cells) == 9 and profile.head is not None
    assert profile.batchnorm is None  # too few cells for statistics
    out = tmp_path_factory.mktemp("profile")
    profile.save(out)
    return out


def test_a_saved_profile_loads_for_its_classifier_only(analyzer, profile_dir):
    sha = analyzer.classifier_config["weights_sha256"]
    assert LabProfile.load(profile_dir, sha).head.groups == ["eosinophil", "lymphocyte", "monocyte"]
    with pytest.raises(ProfileError, match="another classifier"):
        LabProfile.load(profile_dir, "0" * 64)


def test_an_edited_or_missing_profile_is_a_clear_error(analyzer, profile_dir, tmp_path):
    sha = analyzer.classifier_config["weights_sha256"]
    edited = tmp_path / "edited"
    shutil.copytree(profile_dir, edited)
    data = json.loads((edited / PROFILE_FILE).read_text())
    data["familiarity_threshold"] = 1e9
    (edited / PROFILE_FILE).write_text(json.dumps(data))
    with pytest.raises(ProfileError, match="edited"):
        LabProfile.load(edited, sha)
    with pytest.raises(ProfileError, match="No lab profile"):
        LabProfile.load(tmp_path / "nowhere", sha)


def resealed(profile_dir: Path, into: Path, edit) -> Path:
    """A copy of the profile with ``edit(data, folder)`` applied to its profile.json and the seal
    computed again, as anyone can: the seal is a checksum, not a signature."""
    shutil.copytree(profile_dir, into)
    data = json.loads((into / PROFILE_FILE).read_text())
    data.pop(SEAL_FIELD)
    edit(data, into)
    write_sealed_json(into / PROFILE_FILE, data)
    return into


def replaced_file(data: dict, folder: Path, entry: str, content: bytes) -> None:
    """Point the profile's ``entry`` ("head" or "batchnorm") at ``content``, with its right sha256."""
    name = f"{entry}.safetensors"
    (folder / name).write_bytes(content)
    data[entry] = {**(data[entry] or {"groups": ["lymphocyte", "monocyte"]}), "file": name}
    data[entry]["sha256"] = hashlib.sha256(content).hexdigest()


def head_arrays(width: int = 512, kept: int = 3, rows: int = 3, coef_columns: int | None = None) -> bytes:
    arrays = {
        "mean": np.zeros(width, np.float32),
        "components": np.zeros((kept, width), np.float32),
        "coef": np.zeros((rows, coef_columns or kept + len(GROUPS)), np.float32),
        "intercept": np.zeros(rows, np.float32),
    }
    return safetensors_bytes(arrays)


EDITS_RESEALED = {
    "pixel size a word": lambda d, f: d.update(pixel_size_um="abc"),
    "negative pixel size": lambda d, f: d.update(pixel_size_um=-5),
    "pixel size NaN": lambda d, f: d.update(pixel_size_um=float("nan")),
    "familiarity without bound": lambda d, f: d.update(familiarity_threshold=float("inf")),
    "version true": lambda d, f: d.update(version=True),
    "summary a list": lambda d, f: d.update(summary=[1]),
    "summary groups a number": lambda d, f: d.update(summary={"groups": 3}),
    "no summary": lambda d, f: d.pop("summary"),
    "head a string": lambda d, f: d.update(head="x"),
    "head file a list": lambda d, f: d["head"].update(file=["a"]),
    "head of other groups": lambda d, f: d["head"].update(groups=["cat", "dog"]),
    "head not safetensors": lambda d, f: replaced_file(d, f, "head", b"junk"),
    "head arrays that do not fit": lambda d, f: replaced_file(d, f, "head", head_arrays(coef_columns=2)),
    "batchnorm not safetensors": lambda d, f: replaced_file(d, f, "batchnorm", b"junk"),
    "negative variance": lambda d, f: replaced_file(
        d, f, "batchnorm", safetensors_bytes({"network.bn1.running_var": -np.ones(64, np.float32)})
    ),
}


@pytest.mark.parametrize("edit", EDITS_RESEALED, ids=list(EDITS_RESEALED))
def test_a_profile_edited_and_sealed_again_is_still_refused_in_words(analyzer, profile_dir, tmp_path, edit):
    edited = resealed(profile_dir, tmp_path / "edited", EDITS_RESEALED[edit])
    with pytest.raises(ProfileError, match="run adapt again|this bcds reads"):
        LabProfile.load(edited, analyzer.classifier_config["weights_sha256"])


@pytest.mark.parametrize(
    "text", [b"[" * 100_000, b'{"version": 1' + b"0" * 5000 + b"}"], ids=["deep", "long"]
)
def test_a_profile_file_that_json_cannot_read_is_refused_in_words(tmp_path, text):
    (tmp_path / PROFILE_FILE).write_bytes(text)
    with pytest.raises(ProfileError, match="not JSON"):
        LabProfile.load(tmp_path, "sha")


def test_a_profile_whose_arrays_do_not_fit_the_network_is_refused_before_use(analyzer, profile_dir, tmp_path):
    sha = analyzer.classifier_config["weights_sha256"]
    assert analyzer.check_profile(LabProfile.load(profile_dir, sha)).head is not None
    narrow = resealed(
        profile_dir, tmp_path / "narrow", lambda d, f: replaced_file(d, f, "head", head_arrays(8))
    )
    with pytest.raises(ProfileError, match="does not fit this classifier's features"):
        analyzer.check_profile(LabProfile.load(narrow, sha))
    other_layer = {"network.elsewhere.running_var": np.ones(3, np.float32)}
    stray = resealed(
        profile_dir,
        tmp_path / "stray",
        lambda d, f: replaced_file(d, f, "batchnorm", safetensors_bytes(other_layer)),
    )
    with pytest.raises(ProfileError, match="do not fit this classifier's network"):
        analyzer.check_profile(LabProfile.load(stray, sha))


def test_a_profile_of_enough_cells_reads_the_lab_through_its_own_batchnorm_statistics_but_not_its_blasts(
    analyzer, sample_paths, tmp_path
):
    from bcds_core.adapt import MIN_BATCHNORM_CELLS, fit_profile, lab_batchnorm
    from bcds_core.classifier.batchnorm import batchnorm_statistics
    from bcds_core.lab_profile import BATCHNORM_FILE

    items = [(str(p), p.read_bytes(), p.parent.name) for p in sample_paths]
    uploads = [item[:2] for item in items]
    assert len(items) >= MIN_BATCHNORM_CELLS
    fitted, _ = fit_profile(analyzer, items)
    compared = {"accuracy_after_cv_without_batchnorm", "accuracy_after_cv_with_batchnorm"}
    assert len(compared & set(fitted.summary)) == 1  # both profiles fitted, the better kept
    assert (fitted.batchnorm is None) == (fitted.summary["batchnorm_cells"] == 0)

    statistics = lab_batchnorm(analyzer, [r.cell for r in analyzer.analyze_bytes(uploads)])
    shipped = batchnorm_statistics(analyzer.classifier)
    assert statistics.keys() == shipped.keys()
    assert any(not np.allclose(statistics[k], shipped[k]) for k in shipped)
    sha = analyzer.classifier_config["weights_sha256"]
    LabProfile(sha, None, None, None, {}, statistics).save(tmp_path / "p")
    loaded = LabProfile.load(tmp_path / "p", sha)
    plain = analyzer.analyze_bytes(uploads[:1])[0].embedding
    assert not np.allclose(analyzer.analyze_bytes(uploads[:1], profile=loaded)[0].embedding, plain)
    assert np.allclose(
        analyzer.analyze_bytes(uploads[:1])[0].embedding, plain
    )  # the release's network is untouched
    cells = [r.cell for r in analyzer.analyze_bytes(uploads)]
    release_fine, _ = analyzer.answers(cells)
    adapted_fine, _ = analyzer.answers(cells, loaded)
    abnormal = [i for i, c in enumerate(FINE_CLASSES) if FINE_TO_GROUP[c] not in NORMAL_GROUPS]
    np.testing.assert_allclose(adapted_fine[:, abnormal], release_fine[:, abnormal], atol=1e-6)
    np.testing.assert_allclose(adapted_fine.sum(1), 1.0, atol=1e-5)
    assert not np.allclose(adapted_fine, release_fine)  # the normal classes are shared out anew

    (tmp_path / "p" / BATCHNORM_FILE).write_bytes(b"not the statistics")
    with pytest.raises(ProfileError, match="batchnorm.safetensors of the profile is missing or changed"):
        LabProfile.load(tmp_path / "p", sha)


def test_without_a_ruler_a_profile_keeps_the_pixel_size_its_cells_are_read_best_at(analyzer, sample_paths):
    """Tight crops show no whole red cells: the profile tries each candidate pixel size, and its
    head learns the cells as every size read them."""
    from bcds_core.adapt import CANDIDATE_PIXEL_SIZES, fit_profile

    items = []
    for path in sample_paths:
        if path.parent.name in ("lymphocyte", "monocyte", "eosinophil"):
            rgb = np.asarray(Image.open(path).convert("RGB"))
            top, left = (rgb.shape[0] - TIGHT_SIDE) // 2, (rgb.shape[1] - TIGHT_SIDE) // 2
            crop = io.BytesIO()
            Image.fromarray(rgb[top : top + TIGHT_SIDE, left : left + TIGHT_SIDE]).save(crop, "PNG")
            items.append((path.name, crop.getvalue(), path.parent.name))
    profile, cells = fit_profile(analyzer, items)
    by_size = profile.summary["accuracy_after_cv_by_pixel_size"]
    assert set(by_size) == {"assumed", *map(str, CANDIDATE_PIXEL_SIZES)}
    chosen = "assumed" if profile.pixel_size_um is None else str(profile.pixel_size_um)
    assert by_size[chosen] == max(by_size.values())
    assert profile.summary["head_pixel_sizes"] == len(by_size)
    assert len(cells) == len(items)


def test_a_profile_scores_every_labelled_cell_and_counts_the_unread_ones_as_not_right(analyzer):
    """12 labelled cells, 2 of them unread (rejected, say): however well the other 10 are answered,
    the profile is right on at most 10 of 12, and says so."""
    from bcds_core.adapt import profile_of

    rng = np.random.default_rng(0)
    groups = ["lymphocyte"] * 5 + ["neutrophil"] * 5
    fine = rng.dirichlet(np.ones(len(FINE_CLASSES)), size=10).astype(np.float32)
    embeddings = rng.normal(size=(10, 512)).astype(np.float32)
    embeddings[5:] += 4.0
    profile, after = profile_of(
        analyzer, fine, embeddings, groups, [True] * 10, None, unread=["lymphocyte", "monocyte"]
    )
    summary = profile.summary
    assert summary["n"] == 12 and summary["unread"] == 2 and len(after) == 10
    assert summary["groups"] == {"lymphocyte": 6, "monocyte": 1, "neutrophil": 5}
    right = sum(a == g for a, g in zip(after, groups, strict=True))
    assert summary["accuracy_after_cv"] == pytest.approx(right / 12) and right / 12 <= 10 / 12


def test_cells_a_lab_labels_abnormal_are_scored_but_never_learned_by_the_head(analyzer):
    """A lab's ``blast/`` folder: the head learns the normal groups only, so a profile cannot take
    the network's blast probability away; the blasts are answered through the head that never saw them."""
    from bcds_core.adapt import profile_of

    rng = np.random.default_rng(1)
    groups = ["lymphocyte"] * 6 + ["neutrophil"] * 6 + ["blast"] * 4
    fine = rng.dirichlet(np.ones(len(FINE_CLASSES)), size=len(groups)).astype(np.float32)
    fine[12:, FINE_CLASSES.index("BLAST")] += 5.0
    fine /= fine.sum(1, keepdims=True)
    embeddings = rng.normal(size=(len(groups), 512)).astype(np.float32)
    embeddings[6:] += 4.0
    profile, after = profile_of(analyzer, fine, embeddings, groups, [True] * len(groups), None)
    assert profile.head is not None and sorted(profile.head.groups) == ["lymphocyte", "neutrophil"]
    assert after[12:] == ["blast"] * 4
    adjusted = profile.adjust(fine, embeddings)
    blast = FINE_CLASSES.index("BLAST")
    assert np.allclose(adjusted[:, blast], fine[:, blast], atol=1e-6)


def test_a_head_naming_an_abnormal_group_still_moves_only_the_normal_ones():
    groups = np.zeros((1, len(GROUPS)))
    groups[0, GROUPS.index("lymphocyte")] = 0.1
    groups[0, GROUPS.index("blast")] = 0.9
    adjusted = adjust_groups(groups, ["blast", "lymphocyte", "monocyte"], np.array([[0.9, 0.05, 0.05]]))
    assert adjusted[0, GROUPS.index("blast")] == pytest.approx(0.9)
    assert adjusted[0, GROUPS.index("lymphocyte")] == pytest.approx(0.05)
    assert adjusted.sum() == pytest.approx(1.0)
    assert np.array_equal(adjust_groups(groups, ["blast", "smudge"], np.array([[0.5, 0.5]])), groups)


def test_the_profile_keeps_the_pixel_size_at_which_most_of_the_labs_cells_are_right(monkeypatch):
    from bcds_core import adapt

    right = {None: 15, 0.07: 21, 0.15: 20}
    batchnorm_tried_at = []

    def read(analyzer, items, pixel_size_um):
        return adapt.LabReading([], [], pixel_size_um)

    def plain(analyzer, reading):
        accuracy = right.get(reading.pixel_size_um, 0) / 31
        summary = {"n": 31, "accuracy_before": 15 / 31, "accuracy_after_cv": accuracy}
        return LabProfile("sha", reading.pixel_size_um, None, None, summary), []

    def with_batchnorm(analyzer, reading, profile, after, others=()):
        batchnorm_tried_at.append(reading.pixel_size_um)
        return profile, after

    monkeypatch.setattr(adapt, "read_lab_cells", read)
    monkeypatch.setattr(adapt, "plain_profile", plain)
    monkeypatch.setattr(adapt, "with_lab_batchnorm", with_batchnorm)
    monkeypatch.setattr(adapt, "CANDIDATE_PIXEL_SIZES", (0.07, 0.15))
    items = [(f"{i}.png", b"", "neutrophil") for i in range(31)]
    profile, _ = adapt.fit_profile(None, items)
    assert profile.pixel_size_um == 0.07
    assert profile.summary["accuracy_after_cv_by_pixel_size"]["0.15"] == pytest.approx(20 / 31)
    assert batchnorm_tried_at == [0.07]  # the statistics are tried at the chosen size only


def searched_with(monkeypatch, read, plain) -> None:
    """``fit_profile`` searches 0.07 and 0.15 um through the test's own readings and plain profiles,
    never trying BatchNorm statistics."""
    from bcds_core import adapt

    monkeypatch.setattr(adapt, "read_lab_cells", read)
    monkeypatch.setattr(adapt, "plain_profile", plain)
    monkeypatch.setattr(
        adapt, "with_lab_batchnorm", lambda analyzer, reading, profile, after, others=(): (profile, after)
    )
    monkeypatch.setattr(adapt, "CANDIDATE_PIXEL_SIZES", (0.07, 0.15))


def test_a_pixel_size_at_which_no_cell_can_be_answered_scores_none_right_and_the_fit_goes_on(monkeypatch):
    """Large tight crops fill the frame at the larger candidate sizes: that size loses, the fit stands."""
    from bcds_core import adapt

    def read(analyzer, items, pixel_size_um):
        return adapt.LabReading([], [], pixel_size_um)

    def plain(analyzer, reading):
        if reading.pixel_size_um in (None, 0.15):
            raise ValueError("None of the labelled cells could be analysed: check the images.")
        summary = {"n": 31, "accuracy_before": 0.4, "accuracy_after_cv": 0.6}
        return LabProfile("sha", reading.pixel_size_um, None, None, summary), []

    searched_with(monkeypatch, read, plain)
    items = [(f"{i}.png", b"", "neutrophil") for i in range(31)]
    profile, _ = adapt.fit_profile(None, items)
    assert profile.pixel_size_um == 0.07 and profile.summary["accuracy_before"] == 0.0
    assert profile.summary["accuracy_after_cv_by_pixel_size"] == {"assumed": 0.0, "0.07": 0.6, "0.15": 0.0}
    monkeypatch.setattr(adapt, "CANDIDATE_PIXEL_SIZES", (0.15,))
    with pytest.raises(ValueError, match="None of the labelled cells could be analysed"):
        adapt.fit_profile(None, items)


def test_other_readings_show_the_head_the_same_cells_whatever_each_reading_kept():
    """Readings at two pixel sizes keep different cells (one rejected here, one there, an unlabelled
    one between): each view must land on its own cell's row."""
    from types import SimpleNamespace

    from bcds_core.adapt import LabelledViews, LabReading, more_views

    cell = SimpleNamespace()
    chosen = LabReading(
        [(cell, "neutrophil"), (cell, None), (cell, "monocyte"), (cell, "lymphocyte")], [], 0.07, (0, 2, 3, 5)
    )
    other = LabelledViews(np.array([3, 4, 5]), np.array([[3.0], [4.0], [5.0]]), np.zeros((3, len(GROUPS))))
    unrelated = LabelledViews(np.array([1]), np.array([[1.0]]), np.zeros((1, len(GROUPS))))
    views = more_views(chosen, [other, unrelated])
    assert chosen.labelled_items == [0, 3, 5]
    assert views.cells.tolist() == [1, 2] and views.embeddings[:, 0].tolist() == [3.0, 5.0]
    assert more_views(chosen, [unrelated]) is None and more_views(chosen, []) is None


def test_a_candidate_size_at_which_no_labelled_cell_can_be_read_scores_none_right(monkeypatch):
    """Large tight crops all fill the frame at the largest size: reading them there fails, the search goes on."""
    from bcds_core import adapt

    def read(analyzer, items, pixel_size_um):
        if pixel_size_um == 0.15:
            raise ValueError("None of the labelled cells could be analysed: check the images.")
        return adapt.LabReading([], [], pixel_size_um)

    def plain(analyzer, reading):
        summary = {"n": 31, "accuracy_before": 0.4, "accuracy_after_cv": 0.5}
        return LabProfile("sha", reading.pixel_size_um, None, None, summary), []

    searched_with(monkeypatch, read, plain)
    profile, _ = adapt.fit_profile(None, [(f"{i}.png", b"", "neutrophil") for i in range(31)])
    assert profile.summary["accuracy_after_cv_by_pixel_size"] == {"assumed": 0.5, "0.07": 0.5, "0.15": 0.0}


@pytest.mark.parametrize(
    "groups",
    [
        ["neutrophil", "lymphocyte"],
        ["neutrophil"] * 5 + ["lymphocyte"],
        ["neutrophil"] * 3 + ["monocyte"] * 3 + ["eosinophil"],
    ],
)
def test_a_group_of_one_cell_is_scored_but_not_learned(analyzer, groups):
    """scikit-learn cannot hold out a group of one cell: such a group is answered like an abnormal
    one, by the head that never saw it, and with fewer than two groups to learn the release answers."""
    from bcds_core.adapt import profile_of

    rng = np.random.default_rng(2)
    fine = rng.dirichlet(np.ones(len(FINE_CLASSES)), size=len(groups)).astype(np.float32)
    embeddings = rng.normal(size=(len(groups), 512)).astype(np.float32)
    profile, after = profile_of(analyzer, fine, embeddings, groups, [True] * len(groups), None)
    assert len(after) == len(groups)
    learned = None if profile.head is None else sorted(profile.head.groups)
    assert learned == (["monocyte", "neutrophil"] if "monocyte" in groups else None)
    note = profile.head_note()
    assert (
        ("learn eosinophil (give at least 2 each)" in note)
        if learned
        else note.startswith("No re-weighing head")
    )


def test_the_calibrate_page_says_how_the_profile_found_its_pixel_size():
    from bcds_ui.pixel_size_setting import profile_pixel_size_caption

    searched = {"accuracy_after_cv_by_pixel_size": {"assumed": 0.5, "0.088": 0.7}}
    assert "each image's own" in profile_pixel_size_caption(LabProfile("sha", None, None, None, {}))
    assert "recognised best" in profile_pixel_size_caption(LabProfile("sha", 0.088, None, None, searched))
    learned = {**searched, "head_pixel_sizes": 2}
    assert "read at 2 of the 2 pixel sizes" in profile_pixel_size_caption(
        LabProfile("sha", 0.088, None, None, learned)
    )
    own = profile_pixel_size_caption(
        LabProfile("sha", None, None, None, learned)
    )  # the search kept each image's own
    assert "each image's own" in own and "recognised best" in own and "read at 2 of the 2" in own
    assert "as set" in profile_pixel_size_caption(LabProfile("sha", 0.1, None, None, {}))


def test_a_lab_that_keeps_working_keeps_its_network_while_other_labs_pass_through(analyzer):
    from types import SimpleNamespace

    from bcds_core.analysis import PROFILE_NETWORKS
    from bcds_core.classifier.batchnorm import batchnorm_statistics

    statistics = batchnorm_statistics(analyzer.classifier)
    labs = [
        SimpleNamespace(batchnorm_key=f"lab{i}", batchnorm=statistics) for i in range(PROFILE_NETWORKS + 1)
    ]
    analyzer.profile_networks.clear()
    first = analyzer.classifier_for(labs[0])
    for lab in labs[1:PROFILE_NETWORKS]:
        analyzer.classifier_for(lab)
    assert analyzer.classifier_for(labs[0]) is first  # used again: now the most recent
    analyzer.classifier_for(labs[PROFILE_NETWORKS])  # one lab too many: the least recently used goes
    assert analyzer.classifier_for(labs[0]) is first
    assert list(analyzer.profile_networks) == [f"lab{i}" for i in (2, 3, PROFILE_NETWORKS, 0)]
    fitting = SimpleNamespace(batchnorm_key="being fitted", batchnorm=statistics)
    assert analyzer.classifier_for(fitting, keep=False) is not analyzer.classifier  # a profile being fitted
    assert list(analyzer.profile_networks) == [
        f"lab{i}" for i in (2, 3, PROFILE_NETWORKS, 0)
    ]  # evicts no lab


def test_a_lab_file_that_cannot_be_read_is_kept_to_be_counted_as_unread(tmp_path):
    from bcds_core.adapt import lab_items

    (tmp_path / "lymphocyte").mkdir()
    (tmp_path / "lymphocyte" / "a.jpg").write_bytes(b"jpeg bytes")
    (tmp_path / "lymphocyte" / "b.jpg").mkdir()  # a folder with an image's name
    assert [(Path(name).name, data, group) for name, data, group in lab_items(tmp_path)] == [
        ("a.jpg", b"jpeg bytes", "lymphocyte"),
        ("b.jpg", b"", "lymphocyte"),
    ]


def test_an_answer_the_profile_moved_to_another_group_goes_to_review_naming_the_networks_own(
    analyzer, sample_paths
):
    """A head that sends every cell to "platelet" (over basophil) overrules the network on the neutrophils."""
    width = analyzer.classifier.network.fc.in_features
    to_platelet = GroupHead(
        ["basophil", "platelet"],
        np.zeros(width, np.float32),
        np.zeros((1, width), np.float32),
        np.zeros((1, 1 + len(GROUPS)), np.float32),
        np.array([20.0], np.float32),
    )
    profile = LabProfile(analyzer.classifier_config["weights_sha256"], None, None, to_platelet, {})
    uploads = [(p.name, p.read_bytes()) for p in sample_paths if p.parent.name == "neutrophil"]
    plain = analyzer.analyze_bytes(uploads)
    moved = analyzer.analyze_bytes(uploads, profile=profile)
    assert [r.group for r in plain] == ["neutrophil"] * len(uploads)
    for result in moved:
        assert result.group == "platelet" and result.status == "review"
        assert "the lab profile's head changed the answer from neutrophil" in result.message
