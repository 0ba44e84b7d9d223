"""Does the network know this kind of cell image? A novelty score in its own feature space.

The calibrated confidence says how sure the network is *among the classes it
knows*; on an image unlike its training images (another stain, microscope or
an artefact) it can be sure and wrong. The distance of the image's pooled
features to the nearest class centre, under one covariance shared by all
classes (Lee et al. 2018, "A simple unified framework for detecting
out-of-distribution samples"), measures how far the image lies from the
training data. Fitted on training features; the threshold is a percentile of
the validation distances, so a known share of familiar images stays ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.covariance import LedoitWolf

#: Share of validation images whose distance stays below the threshold.
FAMILIAR_QUANTILE = 0.99


@dataclass
class Familiarity:
    """Class centres, the shared precision matrix and the distance threshold.

    Attributes:
        centres: K x D float32 class means of the training features.
        precision: D x D float32 inverse of the shared (Ledoit-Wolf) covariance.
        threshold: distances above this are unfamiliar.
    """

    centres: np.ndarray
    precision: np.ndarray
    threshold: float = float("inf")

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray) -> Familiarity:
        """Fit on N x D training features with N integer class labels."""
        classes = np.unique(labels)
        centres = np.stack([features[labels == c].mean(0) for c in classes])
        centred = features - centres[np.searchsorted(classes, labels)]
        precision = LedoitWolf(assume_centered=True).fit(centred).precision_
        return cls(centres.astype(np.float32), precision.astype(np.float32))

    def distances(self, features: np.ndarray) -> np.ndarray:
        """N Mahalanobis distances to the nearest class centre."""
        return cdist(features, self.centres, "mahalanobis", VI=self.precision).min(1)

    def set_threshold(self, validation_features: np.ndarray, quantile: float = FAMILIAR_QUANTILE) -> None:
        self.threshold = float(np.quantile(self.distances(validation_features), quantile))

    def familiar(self, features: np.ndarray) -> np.ndarray:
        return self.distances(features) <= self.threshold
