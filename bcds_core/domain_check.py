"""Does this look like a stained blood-smear cell image at all?

A photo of a cat or a street can still get a blob from the U-Net and a class
from the classifier. This check compares the image's colours with what the
training images look like: the median colour (CIE Lab) of the slide around the
cell and of the cell itself. A Mahalanobis distance beyond the
``THRESHOLD_PERCENTILE`` of the training images rejects the image. It is fitted
on the training split only and shipped as plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial.distance import cdist

from bcds_core.weights_io import WeightsError, read_sealed_json, write_sealed_json

#: File name of the fitted check in the weights folder.
DOMAIN_CHECK_FILE = "domain_check.json"
THRESHOLD_PERCENTILE = 99.8
#: Headroom on the percentile: JPEG pipelines and stain batches vary more than one dataset shows.
THRESHOLD_MARGIN = 1.5


def colour_features(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """6 numbers: median Lab of the slide (outside the mask) and of the cell (inside)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    inside = mask.reshape(-1)
    outside_values = lab[~inside] if (~inside).any() else lab
    inside_values = lab[inside] if inside.any() else lab
    return np.concatenate([np.median(outside_values, 0), np.median(inside_values, 0)])


@dataclass
class DomainCheck:
    """Mean, inverse covariance and distance threshold of training-image colour features."""

    mean: np.ndarray
    inverse_covariance: np.ndarray
    threshold: float

    def distances(self, features: np.ndarray) -> np.ndarray:
        """N Mahalanobis distances of N x 6 colour features to the training mean."""
        return cdist(features, self.mean[None], "mahalanobis", VI=self.inverse_covariance)[:, 0]

    def looks_like_smear(self, rgb: np.ndarray, mask: np.ndarray) -> bool:
        return bool(self.distances(colour_features(rgb, mask)[None])[0] <= self.threshold)

    @classmethod
    def fit(cls, features: np.ndarray) -> DomainCheck:
        mean = features.mean(0)
        inverse = np.linalg.inv(np.cov(features, rowvar=False) + 1e-3 * np.eye(features.shape[1]))
        check = cls(mean, inverse, 0.0)
        check.threshold = float(
            np.percentile(check.distances(features), THRESHOLD_PERCENTILE) * THRESHOLD_MARGIN
        )
        return check

    def save(self, path: Path, provenance: dict) -> None:
        write_sealed_json(
            path,
            {
                "mean": self.mean.tolist(),
                "inverse_covariance": self.inverse_covariance.tolist(),
                "threshold": self.threshold,
                **provenance,
            },
        )

    @classmethod
    def load(cls, path: Path) -> DomainCheck:
        """The shipped check, sealed; WeightsError when missing, edited or incomplete."""
        data = read_sealed_json(path)
        try:
            mean, inverse = np.array(data["mean"], float), np.array(data["inverse_covariance"], float)
            check = cls(mean, inverse, float(data["threshold"]))
        except (KeyError, TypeError, ValueError) as error:
            raise WeightsError(
                f"{path.name} is incomplete ({error}): restore it from the repository."
            ) from error
        if mean.shape != (6,) or inverse.shape != (6, 6):
            raise WeightsError(
                f"{path.name} holds arrays of the wrong shape: restore it from the repository."
            )
        return check
