"""The nearest-signature classifier: each class is its mean feature vector.

An image gets the class whose signature (mean of the class's training
features) is nearest. Features are first standardised with the training mean
and standard deviation; missing values (NaN, e.g. rings outside the image)
then become 0, the training mean. Two distances:

- ``euclidean``: Euclidean distance on the standardised features, every feature
  counted alike.
- ``mahalanobis``: the same after whitening with the pooled within-class
  covariance (shrunk towards a multiple of the identity). Neighbouring rings are
  strongly correlated; whitening stops them from being counted many times over
  and weighs each direction by how much cells of one class vary along it.

Being a nearest class mean, it is as simple to explain as a look-up table and
leaves nothing hidden: the signatures are the model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

METRICS = ("euclidean", "mahalanobis")
#: Weight of the identity in the shrunk within-class covariance: a small ridge that keeps the
#: 266x266 covariance of ~3,400 training signatures well conditioned (not tuned on any split).
DEFAULT_SHRINKAGE = 0.01


@dataclass(frozen=True)
class NearestSignatureClassifier:
    """A fitted classifier.

    Attributes:
        classes: class names, in the order of ``centroids`` rows.
        mean, scale: per-feature standardisation (F float32).
        whitening: F x F float32 applied after standardising (identity for euclidean).
        centroids: C x F float32, class means in the whitened space.
        metric: one of ``METRICS``.
    """

    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    whitening: np.ndarray
    centroids: np.ndarray
    metric: str

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Standardise and whiten N x F features (NaN -> training mean)."""
        standard = np.nan_to_num((np.asarray(features, np.float32) - self.mean) / self.scale)
        return standard @ self.whitening

    def distances(self, features: np.ndarray) -> np.ndarray:
        """N x C distances of each row of ``features`` (N x F) to every class signature."""
        points = self.transform(np.atleast_2d(features))
        squared = ((points[:, None, :] - self.centroids[None]) ** 2).sum(axis=2)
        return np.sqrt(squared)

    def predict(self, features: np.ndarray) -> list[str]:
        """The nearest class of each row of ``features`` (N x F)."""
        return [self.classes[i] for i in self.distances(features).argmin(axis=1)]

    def save(self, path: str | Path) -> None:
        """Write the classifier as a compressed ``.npz`` (plain arrays, no pickle)."""
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            mean=self.mean,
            scale=self.scale,
            whitening=self.whitening,
            centroids=self.centroids,
            metric=np.array(self.metric),
        )

    @classmethod
    def load(cls, path: str | Path) -> NearestSignatureClassifier:
        """Read a classifier written by ``save``; FileNotFoundError if it is missing."""
        with np.load(path, allow_pickle=False) as data:
            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                mean=data["mean"],
                scale=data["scale"],
                whitening=data["whitening"],
                centroids=data["centroids"],
                metric=str(data["metric"]),
            )


def _within_class_whitening(standard: np.ndarray, labels: np.ndarray, shrinkage: float) -> np.ndarray:
    """F x F matrix W with W.T S W = I for the shrunk pooled within-class covariance S."""
    residuals = standard.copy()
    for label in np.unique(labels):
        residuals[labels == label] -= residuals[labels == label].mean(axis=0)
    covariance = np.cov(residuals, rowvar=False)
    size = len(covariance)
    covariance = (1 - shrinkage) * covariance + shrinkage * np.trace(covariance) / size * np.eye(size)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    return (eigenvectors / np.sqrt(np.maximum(eigenvalues, 1e-12))).astype(np.float32)


def fit_nearest_signature(
    features: np.ndarray,
    labels: list[str],
    metric: str = "mahalanobis",
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> NearestSignatureClassifier:
    """Fit class signatures on training features.

    Args:
        features: N x F float, NaN allowed (imputed with the feature's training mean).
        labels: N class names.
        metric: ``euclidean`` or ``mahalanobis``.
        shrinkage: identity weight of the within-class covariance (mahalanobis only).

    Raises:
        ValueError: unknown metric, or fewer than two classes.
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric '{metric}'; choose one of {', '.join(METRICS)}.")
    features = np.asarray(features, np.float64)
    labels = np.asarray(labels)
    classes = tuple(sorted(set(labels.tolist())))
    if len(classes) < 2:
        raise ValueError("A nearest-signature classifier needs images of at least two classes.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a feature no image has: all NaN
        mean, scale = np.nanmean(features, axis=0), np.nanstd(features, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 1e-6), scale, 1.0)
    standard = np.nan_to_num((features - mean) / scale)
    if metric == "mahalanobis":
        whitening = _within_class_whitening(standard, labels, shrinkage)
    else:
        whitening = np.eye(features.shape[1], dtype=np.float32)
    points = standard @ whitening
    centroids = np.stack([points[labels == c].mean(axis=0) for c in classes])
    return NearestSignatureClassifier(
        classes=classes,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        whitening=whitening.astype(np.float32),
        centroids=centroids.astype(np.float32),
        metric=metric,
    )


def confusion(true: list[str], predicted: list[str], classes: tuple[str, ...]) -> np.ndarray:
    """C x C int64 counts, rows = true class, columns = predicted, in ``classes`` order."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(true, predicted, labels=list(classes)).astype(np.int64)
