"""Lab profiles: a few labelled cells of a lab's microscope re-fit what the lab's images need.

A classifier trained on two hospitals' analysers still meets stains, cameras
and pixel sizes it has not seen. Chossegros et al. (2024) found that fine-tuning
on at most 100 labelled images of the target lab brings most labs above 80 %.
Here the network stays as released; a profile adds, for one lab:

- the pixel size of its images (the median of what the red cells give), used
  when the user gives none;
- a small head that re-weighs the normal groups: a logistic regression over
  the normal groups the lab labelled (cells it labels abnormal are scored,
  never learned), on the network's pooled features (reduced by PCA) and its
  own log group probabilities (where the pixel size was searched, it learns
  each cell as every candidate size read it: ``MoreViews``). The lab's normal cells are taken
  to be of the groups it labelled, so the head shares all the normal groups'
  probability among them; the share the network gives to abnormal groups
  (blasts, ...) is never moved, so a profile cannot hide a blast;
- the familiarity threshold, raised to the lab's own cells so that its normal
  images can be ``ok``;
- the BatchNorm statistics of the network re-estimated on the lab's labelled
  cells (AdaBN; ``classifier.batchnorm``): BatchNorm statistics are the largest
  single cause of failure on another microscope (Tsutsui et al. 2023). The lab's
  labelled cells are used, not every image it has, because they cover its groups
  more evenly (on BCCD crops, 31 labelled cells lifted accuracy more than all 207
  did: ``docs/robustness.md``). The head is then fitted on the features of the
  network with those statistics. Such a network reads every class anew, so the
  abnormal classes' share is still the release network's own
  (``with_release_abnormal_share``): the statistics too share out only the
  normal groups' probability, and cannot hide a blast either.

A profile folder holds ``profile.json`` (sealed, with the classifier release's
sha256 and its files'), ``head.safetensors`` and ``batchnorm.safetensors``;
never a pickle.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load, save_file
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from bcds_core.classifier.model import GROUP_MATRIX
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, GROUPS, NORMAL_GROUPS
from bcds_core.weights_io import SEAL_FIELD, content_hash, sha256_of, write_sealed_json

PROFILE_FILE = "profile.json"
HEAD_FILE = "head.safetensors"
BATCHNORM_FILE = "batchnorm.safetensors"
PROFILE_VERSION = 1
#: Largest number of feature components the head reads (it learns from a few dozen cells).
MAX_COMPONENTS = 16
#: Smallest probability whose logarithm the head reads.
MIN_PROBABILITY = 1e-6


class ProfileError(ValueError):
    """A profile is missing, edited, of another version or for another classifier."""


@dataclass
class GroupHead:
    """PCA of the features and a logistic regression over ``groups``, as plain arrays."""

    groups: list[str]
    mean: np.ndarray
    components: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def probabilities(self, embeddings: np.ndarray, group_probabilities: np.ndarray) -> np.ndarray:
        """N x len(groups) probabilities among the head's groups."""
        inputs = np.hstack(
            [(embeddings - self.mean) @ self.components.T, head_log_probabilities(group_probabilities)]
        )
        logits = inputs @ self.coef.T + self.intercept
        if len(self.groups) == 2:  # scikit-learn keeps one row for two classes
            logits = np.hstack([-logits / 2, logits / 2])
        logits -= logits.max(1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(1, keepdims=True)

    def check(self) -> None:
        """Refuse groups and arrays that do not make one head of ``fit_head``'s form (a profile
        re-sealed by hand: the seal is a checksum, not a signature).

        Raises:
            ProfileError: in words.
        """
        groups = self.groups
        if (
            not isinstance(groups, list)
            or len(groups) < 2
            or len(set(map(str, groups))) != len(groups)
            or not set(map(str, groups)) <= set(NORMAL_GROUPS)
        ):
            raise ProfileError(
                f"The profile's head names groups {groups!r}, not two or more normal groups: run adapt again."
            )
        rows = 1 if len(groups) == 2 else len(groups)
        width = self.mean.shape[0] if self.mean.ndim == 1 else -1
        kept = self.components.shape[0] if self.components.ndim == 2 else -1
        shapes = {
            "mean": (width,),
            "components": (kept, width),
            "coef": (rows, kept + len(GROUPS)),
            "intercept": (rows,),
        }
        for name, shape in shapes.items():
            array = getattr(self, name)
            if array.shape != shape or array.dtype.kind != "f" or not np.isfinite(array).all():
                raise ProfileError(
                    f"The profile's head is damaged ({name} is not a finite {shape} array): run adapt again."
                )


def head_log_probabilities(group_probabilities: np.ndarray) -> np.ndarray:
    return np.log(np.clip(group_probabilities, MIN_PROBABILITY, 1.0))


def head_pipeline(components: int):
    """PCA on the features, the log group probabilities as they are, then a logistic regression."""
    dimensions = GROUP_MATRIX.shape[1]
    return make_pipeline(
        ColumnTransformer(
            [
                ("pca", PCA(components, random_state=0), slice(0, -dimensions)),
                ("p", "passthrough", slice(-dimensions, None)),
            ]
        ),
        LogisticRegression(C=1.0, max_iter=5000),
    )


@dataclass(frozen=True)
class MoreViews:
    """The head's cells read again (at other pixel sizes): more views of each cell to learn from.

    Row ``i`` shows cell ``cells[i]`` of the head's own rows, and has that cell's label.
    ``readings``: how many other readings (pixel sizes) the rows come from (the profile's summary
    reports them).
    """

    embeddings: np.ndarray
    group_probabilities: np.ndarray
    cells: np.ndarray
    readings: int

    def subset(self, kept: np.ndarray) -> MoreViews:
        """The views of the cells where ``kept`` (a mask over the head's rows) holds, renumbered."""
        rows = kept[self.cells]
        renumbered = np.cumsum(kept) - 1
        return MoreViews(
            self.embeddings[rows], self.group_probabilities[rows], renumbered[self.cells[rows]], self.readings
        )


def fit_head(
    embeddings: np.ndarray,
    group_probabilities: np.ndarray,
    labels: list[str],
    more: MoreViews | None = None,
) -> tuple[GroupHead, np.ndarray]:
    """The head fitted on all cells (and ``more`` views of them), and each cell's cross-validated
    group probabilities after it (N x groups, as ``adjust_groups`` gives them, from a head that saw
    no view of the cell: a cell's views are held out together)."""
    x = np.hstack([embeddings, head_log_probabilities(group_probabilities)])
    y = np.array(labels)
    _, counts = np.unique(y, return_counts=True)
    splits = int(max(2, min(5, counts.min())))
    # PCA needs fewer components than the cells of the smallest cross-validation training fold.
    smallest_fold = len(y) - math.ceil(len(y) / splits)
    components = int(max(1, min(MAX_COMPONENTS, smallest_fold - 1, embeddings.shape[1])))
    if more is None:
        folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=0)
        held_out = cross_val_predict(head_pipeline(components), x, y, cv=folds, method="predict_proba")
    else:
        cells = np.concatenate([np.arange(len(y)), more.cells])
        x = np.vstack([x, np.hstack([more.embeddings, head_log_probabilities(more.group_probabilities)])])
        y = y[cells]
        folds = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=0)
        held_out = cross_val_predict(
            head_pipeline(components), x, y, groups=cells, cv=folds, method="predict_proba"
        )[: len(labels)]
    pipeline = head_pipeline(components).fit(x, y)
    pca = pipeline[0].named_transformers_["pca"]
    regression = pipeline[-1]
    head = GroupHead(
        list(regression.classes_),
        pca.mean_.astype(np.float32),
        pca.components_.astype(np.float32),
        regression.coef_.astype(np.float32),
        regression.intercept_.astype(np.float32),
    )
    return head, adjust_groups(group_probabilities, head.groups, held_out)


def adjust_groups(groups: np.ndarray, head_groups: list[str], head_probabilities: np.ndarray) -> np.ndarray:
    """N x groups: the normal groups' probability shared among the normal ones of ``head_groups`` as
    the head says; abnormal groups keep theirs, even where a head names one."""
    normal = [GROUPS.index(g) for g in NORMAL_GROUPS]
    kept = [i for i, g in enumerate(head_groups) if g in NORMAL_GROUPS]
    if not kept:
        return groups.copy()
    shares = head_probabilities[:, kept]
    shares = shares / np.clip(shares.sum(1, keepdims=True), 1e-12, None)
    adjusted = groups.copy()
    adjusted[:, normal] = 0.0
    adjusted[:, [GROUPS.index(head_groups[i]) for i in kept]] = (
        groups[:, normal].sum(1, keepdims=True) * shares
    )
    return adjusted


def with_release_abnormal_share(adapted: np.ndarray, release: np.ndarray) -> np.ndarray:
    """N x fine classes: the release network's probabilities of the abnormal classes, and the
    rest shared among the normal classes as the network with the lab's statistics shares it."""
    abnormal = np.array([FINE_TO_GROUP[c] not in NORMAL_GROUPS for c in FINE_CLASSES])
    normal_share = adapted[:, ~abnormal] / np.clip(adapted[:, ~abnormal].sum(1, keepdims=True), 1e-12, None)
    combined = release.copy()
    combined[:, ~abnormal] = release[:, ~abnormal].sum(1, keepdims=True) * normal_share
    return combined


@dataclass
class LabProfile:
    """What one lab's images need; see the module docstring."""

    classifier_sha256: str
    pixel_size_um: float | None
    familiarity_threshold: float | None
    head: GroupHead | None
    summary: dict
    #: BatchNorm running statistics by state-dict name (None: the release's own).
    batchnorm: dict[str, np.ndarray] | None = None

    def head_note(self) -> str:
        """Which of the lab's normal groups the head learned, and why any other was not, in words."""
        normal = [g for g in self.summary.get("groups", {}) if g in NORMAL_GROUPS]
        if self.head is None:
            return (
                "No re-weighing head: it needs at least 2 readable cells in each of at least 2 normal "
                "groups, so the release's answers stand (pixel size and familiarity are still fitted)."
            )
        left_out = [g for g in normal if g not in self.head.groups]
        note = f"The head re-weighs {', '.join(self.head.groups)}."
        if left_out:
            note += f" Too few readable cells to learn {', '.join(left_out)} (give at least 2 each): scored, not learned."
        return note

    @property
    def fitted_to_set_up(self) -> bool:
        """The profile learned from the lab's images (a head, or BatchNorm statistics), not only its
        pixel size: what lets answers of a set-up bcds was not trained on be ``ok``. With the pixel
        size alone, BCCD crops' ``ok`` answers were 84-93 % right (``docs/robustness.md``)."""
        return self.head is not None or self.batchnorm is not None

    @property
    def batchnorm_key(self) -> str | None:
        """A digest of the BatchNorm statistics, naming the network copy that holds them."""
        if self.batchnorm is None:
            return None
        digest = hashlib.sha256()
        for name in sorted(self.batchnorm):
            digest.update(name.encode() + self.batchnorm[name].tobytes())
        return digest.hexdigest()

    def adjust(self, fine: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """Fine-class probabilities with the head's groups re-weighed (each group's fine classes scaled alike)."""
        if self.head is None:
            return fine
        groups = fine @ GROUP_MATRIX
        wanted = adjust_groups(groups, self.head.groups, self.head.probabilities(embeddings, groups))
        factor = wanted / np.clip(groups, 1e-12, None)
        adjusted = np.clip(fine, 1e-12, None) * (factor @ GROUP_MATRIX.T)
        return adjusted / adjusted.sum(1, keepdims=True)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        entry = None
        if self.head is not None:
            arrays = {k: getattr(self.head, k) for k in ("mean", "components", "coef", "intercept")}
            save_file(arrays, str(directory / HEAD_FILE))
            entry = {
                "file": HEAD_FILE,
                "sha256": sha256_of(directory / HEAD_FILE),
                "groups": self.head.groups,
            }
        batchnorm = None
        if self.batchnorm is not None:
            save_file(self.batchnorm, str(directory / BATCHNORM_FILE))
            batchnorm = {"file": BATCHNORM_FILE, "sha256": sha256_of(directory / BATCHNORM_FILE)}
        write_sealed_json(
            directory / PROFILE_FILE,
            {
                "version": PROFILE_VERSION,
                "classifier_sha256": self.classifier_sha256,
                "pixel_size_um": self.pixel_size_um,
                "familiarity_threshold": self.familiarity_threshold,
                "head": entry,
                "batchnorm": batchnorm,
                "summary": self.summary,
            },
        )

    @classmethod
    def load(cls, directory: Path, classifier_sha256: str) -> LabProfile:
        """A profile folder, checked (see ``from_files``).

        Raises:
            ProfileError: with a message a person can act on.
        """
        directory = Path(directory)
        if not (directory / PROFILE_FILE).is_file():
            raise ProfileError(f"No lab profile in {directory}: {PROFILE_FILE} is missing.")
        files = {
            p.name: p.read_bytes()
            for p in (directory / name for name in (PROFILE_FILE, HEAD_FILE, BATCHNORM_FILE))
            if p.is_file()
        }
        return cls.from_files(files, classifier_sha256)

    @classmethod
    def from_files(cls, files: dict[str, bytes], classifier_sha256: str) -> LabProfile:
        """A profile from its files' bytes (an upload), checked against its seal, its version and the
        classifier it was fitted for.

        Raises:
            ProfileError: with a message a person can act on.
        """
        try:
            data = json.loads(files[PROFILE_FILE])
        except (KeyError, ValueError, RecursionError) as error:  # also bad UTF-8, a 5,000-digit number
            raise ProfileError(f"Not a lab profile: {PROFILE_FILE} is missing or not JSON.") from error
        if not isinstance(data, dict) or data.get(SEAL_FIELD) != content_hash(data):
            raise ProfileError("The lab profile was edited after it was written: run adapt again.")
        if type(data.get("version")) is not int or data["version"] != PROFILE_VERSION:  # True == 1
            raise ProfileError(
                f"The profile is version {data.get('version')!r}; this bcds reads {PROFILE_VERSION}."
            )
        if data.get("classifier_sha256") != classifier_sha256:
            raise ProfileError("The profile was fitted for another classifier release: run adapt again.")
        try:
            return cls._from_sealed(data, files, classifier_sha256)
        except ProfileError:
            raise
        except (KeyError, TypeError, ValueError, SafetensorError) as error:
            raise ProfileError(
                f"The profile's fields are not what adapt writes ({type(error).__name__}): run adapt again."
            ) from error

    @classmethod
    def _from_sealed(cls, data: dict, files: dict[str, bytes], classifier_sha256: str) -> LabProfile:
        """The profile a sealed ``profile.json`` of this version describes, each field checked: the
        seal is a checksum anyone can recompute, so a profile edited and sealed again must still
        be refused in words rather than fail in the middle of a classification."""
        head = None
        if (entry := data["head"]) is not None:
            arrays = checked_arrays(files, entry)
            head = GroupHead(
                entry["groups"], arrays["mean"], arrays["components"], arrays["coef"], arrays["intercept"]
            )
            head.check()
        batchnorm = checked_arrays(files, entry) if (entry := data["batchnorm"]) is not None else None
        if batchnorm is not None and not all(
            name.endswith((".running_mean", ".running_var"))
            and value.ndim == 1
            and np.isfinite(value).all()
            and (name.endswith(".running_mean") or (value >= 0).all())
            for name, value in batchnorm.items()
        ):
            raise ProfileError("The profile's BatchNorm statistics are damaged: run adapt again.")
        summary = data["summary"]
        if not isinstance(summary, dict) or not isinstance(summary.get("groups", {}), dict):
            raise ProfileError("The profile's summary is damaged: run adapt again.")
        return cls(
            classifier_sha256,
            positive_or_none(data["pixel_size_um"], "pixel size"),
            positive_or_none(data["familiarity_threshold"], "familiarity threshold"),
            head,
            summary,
            batchnorm,
        )

    def check_fits(self, feature_width: int, batchnorm_shapes: dict[str, tuple[int, ...]]) -> None:
        """Refuse a head or BatchNorm statistics of other shapes than the classifier's network reads.

        Raises:
            ProfileError: in words.
        """
        if self.head is not None and self.head.mean.shape != (feature_width,):
            raise ProfileError("The profile's head does not fit this classifier's features: run adapt again.")
        if self.batchnorm is not None and {n: v.shape for n, v in self.batchnorm.items()} != batchnorm_shapes:
            raise ProfileError(
                "The profile's BatchNorm statistics do not fit this classifier's network: run adapt again."
            )

    def files(self) -> dict[str, bytes]:
        """The profile's files by name (for a download), as ``save`` writes them."""
        with tempfile.TemporaryDirectory() as folder:
            self.save(Path(folder))
            return {p.name: p.read_bytes() for p in Path(folder).iterdir()}


def positive_or_none(value, what: str) -> float | None:
    """``value`` as a positive finite float, or None where the profile holds none.

    Raises:
        ProfileError: anything else (a string, NaN, a negative size, ``true``).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ProfileError(f"The profile's {what} ({value!r}) is not a positive number: run adapt again.")
    return float(value)


def checked_arrays(files: dict[str, bytes], entry: dict) -> dict[str, np.ndarray]:
    """The arrays of the profile file ``entry`` names, if its bytes have the sha256 the profile seals.

    Raises:
        ProfileError: the file is missing or changed.
    """
    blob = files.get(entry["file"])
    if blob is None or hashlib.sha256(blob).hexdigest() != entry["sha256"]:
        raise ProfileError(f"{entry['file']} of the profile is missing or changed: run adapt again.")
    return load(blob)
