"""Fit a lab profile from a folder of the lab's labelled cells (``adapt``).

DIR holds ``<group>/<image>`` for any subset of the groups (5-20 cells each is
enough); an ``unlabelled/`` folder, if present, adds images for the pixel size
and the familiarity threshold only. Accuracy before is the released model's on
the labelled cells; after is cross-validated (each cell answered by a head that
did not see it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bcds_core.analysis import BATCH_SIZE, CellAnalyzer, CellResult, PreparedCell
from bcds_core.classifier.batchnorm import adapted_copy, batchnorm_statistics
from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.dataset_index import IMAGE_SUFFIXES, mac_metadata
from bcds_core.image_io import ImageDecodeError, read_bytes
from bcds_core.lab_profile import GroupHead, LabProfile, MoreViews, adjust_groups, fit_head
from bcds_core.pixel_size import ESTIMATED, REFERENCE_PIXEL_UM
from bcds_core.taxonomy import GROUPS, NORMAL_GROUPS, group_of_folder

UNLABELLED = "unlabelled"
#: Fewest labelled cells whose BatchNorm statistics a profile takes (fewer give noisy statistics).
MIN_BATCHNORM_CELLS = 20
#: Fewest cells of a normal group the head learns (cross-validation holds one out of each fold).
MIN_HEAD_CELLS = 2
#: Cells per pass when re-estimating the statistics.
BATCHNORM_BATCH = 32
#: Pixel sizes a profile tries where neither the user nor red cells give one: the CellaVision
#: pixel size times 1.2^k, k = -3..2 (0.061-0.152 um), the range of the set-ups seen so far.
CANDIDATE_PIXEL_SIZES = tuple(round(REFERENCE_PIXEL_UM * 1.2**k, 4) for k in (-3, -2, -1, 0, 1, 2))


def folder_group(name: str) -> str | None:
    """The group a lab's folder names, in any case and singular or plural ("Neutrophils" is
    neutrophil), ``UNLABELLED`` for its unlabelled cells, or None for any other folder."""
    return UNLABELLED if name.strip().lower() == UNLABELLED else group_of_folder(name)


def unknown_folders(directory: Path) -> list[str]:
    """DIR's folders that name no group (nor the unlabelled cells): ``lab_images`` leaves their cells
    out, which the lab must be told ("neutrophiles/" beside "lymphocyte/" vanished unsaid)."""
    return sorted(p.name for p in Path(directory).iterdir() if p.is_dir() and folder_group(p.name) is None)


def lab_images(directory: Path) -> list[tuple[Path, str | None]]:
    """(path, group or None for unlabelled) of every image under DIR/<group>/ and DIR/unlabelled/
    (folders named as ``folder_group`` reads them).

    Raises:
        ValueError: DIR has no folder named after a group.
    """
    found = []
    for folder in sorted(p for p in Path(directory).iterdir() if p.is_dir()):
        if (named := folder_group(folder.name)) is None:
            continue
        group = None if named == UNLABELLED else named
        found += [
            (p, group)
            for p in sorted(folder.iterdir())
            if p.suffix.lower() in IMAGE_SUFFIXES and not mac_metadata(p)
        ]
    if not any(group for _, group in found):
        raise ValueError(f"No labelled cells in {directory}: put them in folders named {', '.join(GROUPS)}.")
    return found


def lab_items(directory: Path) -> list[tuple[str, bytes, str | None]]:
    """(name, bytes, group or None) of the images of a lab folder. A file that cannot be read (over
    the size limit, not a regular file) comes with no bytes, so that it is counted as a labelled
    cell that could not be read, like one that cannot be decoded."""
    items = []
    for path, group in lab_images(directory):
        try:
            items.append((str(path), read_bytes(path), group))
        except ImageDecodeError:
            items.append((str(path), b"", group))
    return items


def lab_batchnorm(analyzer: CellAnalyzer, cells: list[PreparedCell]) -> dict[str, np.ndarray] | None:
    """BatchNorm statistics re-estimated on the lab's labelled cells (None below ``MIN_BATCHNORM_CELLS``,
    or for a network without BatchNorm)."""
    if len(cells) < MIN_BATCHNORM_CELLS:
        return None
    inputs = analyzer.classifier_input(cells)
    return (
        batchnorm_statistics(adapted_copy(analyzer.classifier, inputs, BATCHNORM_BATCH, analyzer.lock))
        or None
    )


def fit_profile(
    analyzer: CellAnalyzer, items: list[tuple[str, bytes, str | None]], pixel_size_um: float | None = None
) -> tuple[LabProfile, list[tuple[CellResult, str, str]]]:
    """The lab profile of (name, bytes, group or None) cells, and (the release's result, true group,
    group after the profile, cross-validated) per labelled cell. Unreadable and rejected images
    are left out.

    The pixel size is the user's, else the red cells' (``read_lab_cells``); where neither gives
    it, the one under which the lab's cells are recognised best (``searched_pixel_size``).
    BatchNorm statistics are tried at that pixel size only (``with_lab_batchnorm``): at every
    candidate they took a third of the fitting time.

    Raises:
        ValueError: no labelled cell could be answered.
    """
    reading = read_lab_cells(analyzer, items, pixel_size_um)
    fitted, others = plain_profile_if_any(analyzer, reading), []
    if pixel_size_um is None and reading.pixel_size_um is None:
        reading, fitted, others = searched_pixel_size(analyzer, items, reading, fitted)
    if fitted is None:
        raise ValueError("None of the labelled cells could be analysed: check the images.")
    profile, after = with_lab_batchnorm(analyzer, reading, *fitted, others)
    labelled = [(r, g) for r, g in reading.kept if g is not None]
    return profile, [(r, g, a) for (r, g), a in zip(labelled, after, strict=True)]


def searched_pixel_size(
    analyzer: CellAnalyzer,
    items: list[tuple[str, bytes, str | None]],
    reading: LabReading,
    fitted: tuple[LabProfile, list[str | None]] | None,
) -> tuple[LabReading, tuple[LabProfile, list[str | None]] | None, list[LabelledViews]]:
    """The reading (and its plain profile) at the pixel size under which most of the lab's labelled
    cells are answered right, cross-validated, and the labelled cells as the other sizes showed them.

    Tight crops show too few whole red cells, so each of ``CANDIDATE_PIXEL_SIZES`` is tried as if
    the user had given it, beside ``reading``, each image's own (a cell rejected at a size, filling
    the frame there, counts as not right, or a size that drops the hard cells would look best; ties
    go to the release's own reading). On BCCD crops, for instance, group accuracy runs from 40 %
    read at 0.065 um to 51 % at 0.095 um, near what red cells measure on the fields the crops come
    from (0.089 um), while each image on its own is assumed at 0.106 um or, as a tight crop, at
    0.06-0.07 um (``docs/pixel_size.md``). On some 31 cells the choice rests on a cell or two, so
    the chosen profile's head learns every size's view of each cell (held out together in its
    cross-validation; ``docs/pixel_size.md``). ``accuracy_before`` stays the release's own reading.
    """
    before, best = accuracies(fitted)
    by_size = {"assumed": best}
    views = {"assumed": labelled_views(analyzer, reading)}
    chosen = "assumed"
    for um in CANDIDATE_PIXEL_SIZES:  # one candidate's cells at a time beside the best
        candidate = reading_if_any(analyzer, items, um)
        candidate_fit = None if candidate is None else plain_profile_if_any(analyzer, candidate)
        by_size[str(um)] = accuracy = accuracies(candidate_fit)[1]
        if candidate is not None:
            views[str(um)] = labelled_views(analyzer, candidate)
        # ties stay with the earlier reading, the release's own first
        if candidate_fit is not None and (fitted is None or accuracy > best):
            best, reading, fitted, chosen = accuracy, candidate, candidate_fit, str(um)
    if fitted is None:
        return reading, None, []
    kept = set(reading.labelled_items)  # a reading that shares none of them shows the head nothing
    others = [v for size, v in views.items() if size != chosen and v is not None and kept & set(v.items)]
    if (more := more_views(reading, others)) is not None:
        fitted = plain_profile(analyzer, reading, more)
    fitted[0].summary["accuracy_before"] = before
    fitted[0].summary["accuracy_after_cv_by_pixel_size"] = by_size
    return reading, fitted, others


def reading_if_any(
    analyzer: CellAnalyzer, items: list[tuple[str, bytes, str | None]], um: float
) -> LabReading | None:
    """``read_lab_cells`` at a candidate pixel size, or None where none of the labelled cells can be
    read there (every one filling the frame)."""
    try:
        return read_lab_cells(analyzer, items, um)
    except ValueError:
        return None


def plain_profile_if_any(
    analyzer: CellAnalyzer, reading: LabReading
) -> tuple[LabProfile, list[str | None]] | None:
    """``plain_profile`` of one reading, or None where none of its labelled cells could be answered
    (at a candidate pixel size every cell of a large tight crop may fill the frame)."""
    try:
        return plain_profile(analyzer, reading)
    except ValueError:
        return None


def accuracies(fitted: tuple[LabProfile, list[str | None]] | None) -> tuple[float, float]:
    """(before, after cross-validated) of a fit; none right where no cell could be answered."""
    if fitted is None:
        return 0.0, 0.0
    return fitted[0].summary["accuracy_before"], fitted[0].summary["accuracy_after_cv"]


@dataclass(frozen=True)
class LabReading:
    """The lab's cells read at one pixel size.

    Attributes:
        kept: (the release's result, group or None) of each readable, not rejected cell.
        unread: the groups of labelled cells that could not be read.
        pixel_size_um: the size they were read at: the user's, the median red-cell estimate
            where at least 3 images had one, or None (each at its own).
        items: the index, among the lab's items, of each kept cell.
    """

    kept: list[tuple[CellResult, str | None]]
    unread: list[str]
    pixel_size_um: float | None
    items: tuple[int, ...] = ()

    @property
    def groups(self) -> list[str | None]:
        """Each kept cell's group (None: unlabelled)."""
        return [g for _, g in self.kept]

    @property
    def answered(self) -> list[bool]:
        """Each kept cell: the release gave it a group."""
        return [r.group is not None for r, _ in self.kept]

    @property
    def labelled_items(self) -> list[int]:
        """The item index of each kept labelled cell, in the order a head learns them."""
        return [i for i, (_, g) in zip(self.items, self.kept, strict=True) if g is not None]


@dataclass(frozen=True)
class LabelledViews:
    """A reading's labelled cells as a head learns them, without the cells (1.2 MB each): item
    index, features, group probabilities and, where there are enough of them for the lab's
    BatchNorm statistics to be tried (``MIN_BATCHNORM_CELLS``), the network's input (half
    precision, 0.4 MB each), from which a network with those statistics reads them again."""

    items: np.ndarray
    embeddings: np.ndarray
    group_probabilities: np.ndarray
    inputs: torch.Tensor | None = None

    def through(self, analyzer: CellAnalyzer, profile: LabProfile) -> LabelledViews:
        """The same cells read by the network of ``profile`` (its BatchNorm statistics)."""
        fine, features = in_batches(
            lambda part: analyzer.answers_of_inputs(part, profile, keep_network=False), self.inputs
        )
        return LabelledViews(self.items, features, fine @ GROUP_MATRIX, self.inputs)


def labelled_views(analyzer: CellAnalyzer, reading: LabReading) -> LabelledViews | None:
    """``LabelledViews`` of a reading's labelled cells (None where it kept none)."""
    labelled = [r for r, g in reading.kept if g is not None]
    if not labelled:
        return None
    return LabelledViews(
        np.array(reading.labelled_items, int),
        np.stack([r.embedding for r in labelled]),
        np.stack([r.fine_probabilities for r in labelled]) @ GROUP_MATRIX,
        (
            analyzer.classifier_input([r.cell for r in labelled]).half().cpu()
            if len(labelled) >= MIN_BATCHNORM_CELLS
            else None
        ),
    )


def more_views(reading: LabReading, others: list[LabelledViews]) -> MoreViews | None:
    """The labelled cells of ``reading`` as ``others`` (readings at other pixel sizes) show them,
    numbered as ``reading``'s labelled rows; None where no other reading kept any of them."""
    rows = {item: row for row, item in enumerate(reading.labelled_items)}
    shown = [view for view in others if any(item in rows for item in view.items)]
    if not shown:
        return None
    picked = [(view, k) for view in shown for k, item in enumerate(view.items) if item in rows]
    return MoreViews(
        np.stack([view.embeddings[k] for view, k in picked]),
        np.stack([view.group_probabilities[k] for view, k in picked]),
        np.array([rows[view.items[k]] for view, k in picked], int),
        len(shown),
    )


def read_lab_cells(
    analyzer: CellAnalyzer, items: list[tuple[str, bytes, str | None]], pixel_size_um: float | None
) -> LabReading:
    """The lab's cells read at ``pixel_size_um``, or (None) each at its own.

    Raises:
        ValueError: no labelled cell could be answered.
    """
    results = analyzer.analyze_bytes([(name, data) for name, data, _ in items], pixel_size_um)
    labels = [g for _, _, g in items]
    readable = [r.embedding is not None and r.status != "rejected" for r in results]
    kept = [(r, g) for r, g, read in zip(results, labels, readable, strict=True) if read]
    indices = tuple(i for i, read in enumerate(readable) if read)
    if not any(g for _, g in kept):
        raise ValueError("None of the labelled cells could be analysed: check the images.")
    unread = [g for g, read in zip(labels, readable, strict=True) if g is not None and not read]
    estimated = [r.pixel_size_um for r, _ in kept if r.pixel_size_source == ESTIMATED]
    pixel = pixel_size_um or (float(np.median(estimated)) if len(estimated) >= 3 else None)
    return LabReading(kept, unread, pixel, indices)


def plain_profile(
    analyzer: CellAnalyzer, reading: LabReading, more: MoreViews | None = None
) -> tuple[LabProfile, list[str | None]]:
    """``profile_of`` the cells as the release's network read them (the head also learning ``more``
    views of the labelled cells)."""
    return profile_of(
        analyzer,
        np.stack([r.fine_probabilities for r, _ in reading.kept]),
        np.stack([r.embedding for r, _ in reading.kept]),
        reading.groups,
        reading.answered,
        reading.pixel_size_um,
        unread=reading.unread,
        more=more,
    )


def with_lab_batchnorm(
    analyzer: CellAnalyzer,
    reading: LabReading,
    profile: LabProfile,
    after: list[str | None],
    others: Sequence[LabelledViews] = (),
) -> tuple[LabProfile, list[str | None]]:
    """The plain ``profile`` (with each labelled cell's group ``after`` it), or one fitted through
    the network with BatchNorm statistics re-estimated on the labelled cells, whichever answers
    them better, cross-validated.

    With at least ``MIN_BATCHNORM_CELLS`` labelled cells, the second profile takes its features,
    head and familiarity all through the adapted network, as that profile will read the lab's
    images (the cells are not masked or measured again, only classified; its head also learns
    ``others``, the labelled cells at the other pixel sizes tried, read by that network where a size
    read at least ``MIN_BATCHNORM_CELLS`` of them). It is kept where its
    cross-validated accuracy is at least the first's: statistics of an uneven set of cells can
    do harm (on the DeepAPL test patients, mostly blasts, re-estimated statistics cost 10-13
    points: ``docs/robustness.md``).
    """
    batchnorm = lab_batchnorm(analyzer, [r.cell for r, g in reading.kept if g is not None])
    if batchnorm is None:
        return profile, after
    provisional = LabProfile(analyzer.classifier_config["weights_sha256"], None, None, None, {}, batchnorm)
    readable = [view.through(analyzer, provisional) for view in others if view.inputs is not None]
    more = more_views(reading, readable)
    adapted, adapted_after = profile_of(
        analyzer,
        *answers_through(analyzer, [r.cell for r, _ in reading.kept], provisional),
        reading.groups,
        reading.answered,
        reading.pixel_size_um,
        batchnorm,
        reading.unread,
        more,
    )
    adapted.summary["accuracy_after_cv_without_batchnorm"] = profile.summary["accuracy_after_cv"]
    for key in ("accuracy_before", "accuracy_after_cv_by_pixel_size"):
        if key in profile.summary:
            adapted.summary[key] = profile.summary[key]
    if adapted.summary["accuracy_after_cv"] >= profile.summary["accuracy_after_cv"]:
        return adapted, adapted_after
    profile.summary["accuracy_after_cv_with_batchnorm"] = adapted.summary["accuracy_after_cv"]
    return profile, after


def answers_through(
    analyzer: CellAnalyzer, cells: list[PreparedCell], profile: LabProfile
) -> tuple[np.ndarray, np.ndarray]:
    """(fine probabilities, features) of prepared cells through the profile's network, a batch at a
    time; the network is not kept among the analyzer's profile networks (the profile is not chosen yet)."""
    return in_batches(lambda part: analyzer.answers(part, profile, keep_network=False), cells)


def in_batches(
    answer: Callable[[Sequence], tuple[np.ndarray, np.ndarray]], items: Sequence
) -> tuple[np.ndarray, np.ndarray]:
    """(fine probabilities, features) of ``items`` (cells or their inputs), ``answer``-ed ``BATCH_SIZE``
    at a time, so that a lab's hundred cells never pass through the network at once."""
    parts = [answer(items[i : i + BATCH_SIZE]) for i in range(0, len(items), BATCH_SIZE)]
    return np.concatenate([fine for fine, _ in parts]), np.concatenate([features for _, features in parts])


def head_and_answers(
    embeddings: np.ndarray,
    probabilities: np.ndarray,
    truth: list[str],
    before: list[str | None],
    more: MoreViews | None = None,
) -> tuple[GroupHead | None, list[str | None]]:
    """The head fitted on the cells labelled with a normal group, and each labelled cell's group after it.

    A lab may label abnormal cells too (a ``blast/`` folder): they count in its accuracies, but the
    head never learns them, as it re-weighs only the normal groups; a head that learned "blast" would
    hand the blasts' probability to whatever the head says. They are answered through the head fitted
    on the others, which never saw them; the normal cells by the cross-validated heads. So is a normal
    group of fewer than ``MIN_HEAD_CELLS`` cells, which cross-validation cannot hold out (it stopped
    the fit with scikit-learn's "n_splits=2 cannot be greater than the number of members in each
    class"). With fewer than two groups to learn there is nothing to re-weigh, and the release's
    answers stand.
    """
    counts = Counter(truth)
    learned = np.array([g in NORMAL_GROUPS and counts[g] >= MIN_HEAD_CELLS for g in truth])
    learned_truth = [g for g, kept in zip(truth, learned, strict=True) if kept]
    if len(set(learned_truth)) < 2:
        return None, before
    head, held_out = fit_head(
        embeddings[learned],
        probabilities[learned],
        learned_truth,
        None if more is None else more.subset(learned),
    )
    adjusted = adjust_groups(probabilities, head.groups, head.probabilities(embeddings, probabilities))
    adjusted[learned] = held_out
    return head, [GROUPS[i] for i in adjusted.argmax(1)]


def profile_of(
    analyzer: CellAnalyzer,
    fine: np.ndarray,
    embeddings: np.ndarray,
    groups: list[str | None],
    answered: list[bool],
    pixel_size_um: float | None,
    batchnorm: dict[str, np.ndarray] | None = None,
    unread: Sequence[str] = (),
    more: MoreViews | None = None,
) -> tuple[LabProfile, list[str | None]]:
    """A profile from the cells' fine probabilities, features and groups (None: unlabelled), and each
    labelled cell's group after it (cross-validated). ``answered``: the cells the release gave a
    group (a cell it did not find has none before the profile either). ``unread``: the groups of
    labelled cells that could not be read (undecodable or rejected): the accuracies are over all
    the lab's labelled cells, with these counted as not right before and after. ``more``: other
    views of the labelled cells (numbered as they are) for the head to learn from too."""
    labelled = np.array([g is not None for g in groups])
    truth = [g for g in groups if g is not None]
    probabilities = fine[labelled] @ GROUP_MATRIX
    before = [
        GROUPS[analyzer.abnormal_thresholds.answer(p)[0]] if found else None
        for p, found in zip(probabilities, np.array(answered)[labelled], strict=True)
    ]
    head, after = head_and_answers(embeddings[labelled], probabilities, truth, before, more)
    threshold = None
    if analyzer.answer_checks is not None:
        threshold = float(np.quantile(analyzer.answer_checks.familiarity.distances(embeddings), 0.95))
    every_label = truth + list(unread)
    summary = {
        "n": len(every_label),
        "unread": len(unread),
        "groups": {g: every_label.count(g) for g in sorted(set(every_label))},
        "accuracy_before": float(np.sum(np.array(before) == np.array(truth)) / len(every_label)),
        "accuracy_after_cv": float(np.sum(np.array(after) == np.array(truth)) / len(every_label)),
        "batchnorm_cells": 0 if batchnorm is None else len(truth),
    }
    if more is not None:
        summary["head_pixel_sizes"] = 1 + more.readings
    sha = analyzer.classifier_config["weights_sha256"]
    return LabProfile(sha, pixel_size_um, threshold, head, summary, batchnorm), after
