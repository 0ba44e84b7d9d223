"""The checks an answer must pass to be ``ok``, fitted on a release's own data and shipped with it.

``AbnormalThresholds`` (when does an abnormal group win or raise a flag?),
``Familiarity`` (is the image like the training images, in the network's
feature space?) and the conformal quantile (which groups stay plausible?) are
fitted after training, on the training and validation caches of the sources
the release trained on, and written into the release folder: the arrays as
safetensors, the thresholds in its sealed config, so an edit to either is
refused at load like edited weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from bcds_core.classifier.abnormal_thresholds import SCREEN_FLAG_BUDGET, AbnormalThresholds
from bcds_core.classifier.calibration import review_threshold
from bcds_core.classifier.conformal import COVERAGE, conformal_quantile, mass_to_true
from bcds_core.classifier.familiarity import Familiarity
from bcds_core.classifier.inputs import classifier_batch
from bcds_core.classifier.model import fine_and_group_probabilities
from bcds_core.segmentation.mask_features import mask_centre
from bcds_core.taxonomy import ABNORMAL_GROUPS, GROUPS
from bcds_core.weights_io import CONFIG_FILE, WeightsError, read_sealed_json, sha256_of, write_sealed_json

ANSWER_CHECKS_FILE = "answer_checks.safetensors"
#: Training images per label used to fit the class centres and covariance.
FIT_IMAGES_PER_LABEL = 500
#: The splits whose patients the abnormal thresholds are fitted on: every patient the network did not
#: train on. The 12 validation patients alone gave a blast threshold that kept 92 % of their blasts and
#: 72 % of the 12 test patients'; ``scripts/screening_cv.py`` measures the choice on held-out patients.
ABNORMAL_FIT_SPLITS = ("val", "test")


@dataclass
class AnswerChecks:
    """A release's familiarity check, conformal quantile, abnormal-group thresholds and review threshold."""

    familiarity: Familiarity
    conformal_quantile: float
    coverage: float = COVERAGE
    abnormal: AbnormalThresholds = field(default_factory=AbnormalThresholds.default)
    review_threshold: float | None = None

    def save(self, directory: Path) -> None:
        """Write the arrays and add the thresholds and the file's sha256 to the sealed config (the
        review threshold at its top level, where the release step first put it)."""
        path = directory / ANSWER_CHECKS_FILE
        save_file({"centres": self.familiarity.centres, "precision": self.familiarity.precision}, str(path))
        config = read_sealed_json(directory / CONFIG_FILE)
        config["answer_checks"] = {
            "file": ANSWER_CHECKS_FILE,
            "sha256": sha256_of(path),
            "familiarity_threshold": self.familiarity.threshold,
            "conformal_quantile": self.conformal_quantile,
            "coverage": self.coverage,
            "abnormal_thresholds": self.abnormal.thresholds,
            "abnormal_exclusion": self.abnormal.exclusion,
            "abnormal_screen_bar": self.abnormal.screen_bar,
        }
        if self.review_threshold is not None:
            config["review_threshold"] = self.review_threshold
        write_sealed_json(directory / CONFIG_FILE, config)

    @classmethod
    def load(cls, directory: Path, config: dict) -> AnswerChecks | None:
        """The release's checks (None for a release fitted before they existed), hash-checked."""
        entry = config.get("answer_checks")
        if entry is None:
            return None
        path = directory / entry["file"]
        if not path.exists() or sha256_of(path) != entry["sha256"]:
            raise WeightsError(f"{entry['file']} in {directory.name} is missing or changed: restore it.")
        arrays = load_file(str(path))
        familiarity = Familiarity(
            arrays["centres"], arrays["precision"], float(entry["familiarity_threshold"])
        )
        abnormal = entry.get("abnormal_thresholds")
        return cls(
            familiarity,
            float(entry["conformal_quantile"]),
            float(entry["coverage"]),
            AbnormalThresholds(
                abnormal,
                float(entry.get("abnormal_exclusion", 1.0)),
                entry.get("abnormal_screen_bar"),
            )
            if abnormal
            else AbnormalThresholds.default(),
            float(config["review_threshold"]),
        )


@torch.inference_mode()
def cached_features(model, cache, indices: np.ndarray, config: dict, batch_size: int = 64):
    """(N x D features, N x fine-class logits) of cached images, as the product reads them."""
    features, logits = [], []
    for start in range(0, len(indices), batch_size):
        chosen = indices[start : start + batch_size]
        centres = np.array([mask_centre(cache.masks[i] > 0) for i in chosen], np.float32)
        x = classifier_batch(cache.images[chosen], cache.masks[chosen], centres, config)
        f, z = model.features_and_logits(x)
        features.append(f.numpy())
        logits.append(z)
    return np.concatenate(features), torch.cat(logits)


def fit_answer_checks(model, config: dict, cache, seed: int = 0) -> tuple[AnswerChecks, dict]:
    """Fit the checks on a cache's rows the network did not train on; also return what was measured there.

    Familiarity, conformal sets and the review threshold are fitted on the validation rows
    (familiarity's centres on training rows). The abnormal thresholds are fitted on the
    ``ABNORMAL_FIT_SPLITS`` rows of the sources that hold abnormal cells, so that "normal" means
    the same patients' normal cells.
    """
    rows = cache.rows
    split = np.array([r.split for r in rows])
    label = np.array([r.label or r.group for r in rows])
    group = np.array([r.group for r in rows])
    usable = cache.mask_found
    rng = np.random.default_rng(seed)
    train = np.sort(
        np.concatenate(
            [
                rng.permutation(np.flatnonzero((split == "train") & usable & (label == name)))[
                    :FIT_IMAGES_PER_LABEL
                ]
                for name in np.unique(label)
            ]
        )
    )
    val = np.flatnonzero((split == "val") & usable)
    source = cache.source if cache.source is not None else np.zeros(len(rows))
    with_abnormal = np.isin(source, source[np.isin(group, ABNORMAL_GROUPS)])
    patients = np.flatnonzero(np.isin(split, ABNORMAL_FIT_SPLITS) & usable & with_abnormal)
    held = np.union1d(val, patients)  # the validation patients serve both fits: each image is read once
    train_features, _ = cached_features(model, cache, train, config)
    held_features, held_logits = cached_features(model, cache, held, config)
    val_at, patients_at = np.searchsorted(held, val), np.searchsorted(held, patients)
    familiarity = Familiarity.fit(train_features, label[train])
    familiarity.set_threshold(held_features[val_at])
    val_fine, val_groups = fine_and_group_probabilities(held_logits[val_at], config["temperature"])
    quantile = conformal_quantile(
        mass_to_true(val_groups.numpy(), np.array([GROUPS.index(g) for g in group[val]]))
    )
    threshold = review_threshold(val_fine.numpy(), group[val], source[val])
    _, groups = fine_and_group_probabilities(held_logits[patients_at], config["temperature"])
    abnormal = fit_abnormal_thresholds(groups.numpy(), group[patients], threshold)
    return AnswerChecks(familiarity, quantile, abnormal=abnormal, review_threshold=threshold), {
        "fit_images": int(len(train)),
        "validation_images": int(len(val)),
        "abnormal_fit_images": int(len(patients)),
        "abnormal_operating_point": abnormal.operating_point(groups, group[patients]),
    }


def fit_abnormal_thresholds(
    groups: np.ndarray, truth: np.ndarray, review_threshold: float, screen_budget: float = SCREEN_FLAG_BUDGET
) -> AbnormalThresholds:
    """The abnormal groups' thresholds, exclusion bar and screening bar, fitted on patients' cells.

    Args:
        groups: N x groups calibrated probabilities.
        truth: N true group names.
        review_threshold: the release's; the exclusion bar is fitted on the answers whose group reaches it.
        screen_budget: share of normal cells reaching the screening bar (0: no bar).
    """
    return AbnormalThresholds.fit(groups, truth, screen_budget).with_exclusion(
        groups, truth, review_threshold
    )
