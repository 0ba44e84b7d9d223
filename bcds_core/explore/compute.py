"""All exploration statistics of a PBC-layout folder, in one pass over its images.

When the folder is the PBC dataset (its images are in the project's split CSV),
class signatures, histograms and the classifier are fitted on the **train**
split (at most ``per_class`` images per file label) and the classifier is
evaluated on the whole **test** split. Any other folder is fitted on all of its
images and gets no evaluation: scoring images the signatures were made from
would flatter the method.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bcds_core.dataset_index import IndexedImage, index_folder
from bcds_core.explore import colour_histograms as hist
from bcds_core.explore import radial_signatures as radial
from bcds_core.explore.cell_centre import CellLocation, CellLocator
from bcds_core.explore.dataset_summary import UNSPLIT, file_label, summarise_dataset
from bcds_core.explore.nearest_signature import METRICS, confusion, fit_nearest_signature
from bcds_core.explore.outliers import farthest_per_class, thumbnail_jpeg
from bcds_core.explore.stats_files import ClassSignature, StatsBundle
from bcds_core.image_io import ImageDecodeError, decode_image, read_bytes
from bcds_core.taxonomy import GROUPS

#: The classifier shipped and used by ``radial-eval``; the other metric is reported beside it.
PRIMARY_METRIC = "mahalanobis"


@dataclass
class ImageAnalysis:
    """One image's cell location, radial signature and (optionally) colour histograms."""

    location: CellLocation
    signature: np.ndarray
    histograms: np.ndarray | None = None


def analyze_image(rgb: np.ndarray, locator: CellLocator, histograms: bool = False) -> ImageAnalysis:
    """Locate the cell of an HxWx3 uint8 RGB image and take its radial signature."""
    location = locator.locate(rgb)
    signature = radial.radial_signature(rgb, location.centre)
    counts = hist.colour_histograms(rgb, location.mask) if histograms else None
    return ImageAnalysis(location, signature, counts)


def select_images(
    images: list[IndexedImage], split_of: dict[str, str], per_class: int, seed: int
) -> tuple[list[IndexedImage], list[IndexedImage], str]:
    """Images to fit on (at most ``per_class`` per file label) and to evaluate on.

    Returns:
        (fit images, evaluation images, name of the fitted split: "train" or "all").
    """
    train = [i for i in images if split_of.get(i.sha256) == "train"]
    pool, fit_split = (train, "train") if train else (images, "all")
    evaluate = [i for i in images if split_of.get(i.sha256) == "test"] if train else []
    rng = np.random.default_rng(seed)
    fit: list[IndexedImage] = []
    for label in sorted({file_label(i) for i in pool}):
        members = [i for i in pool if file_label(i) == label]
        keep = rng.choice(len(members), size=min(per_class, len(members)), replace=False)
        fit += [members[k] for k in sorted(keep)]
    return fit, evaluate, fit_split


def class_signatures(signatures: np.ndarray, names: list[str | None]) -> dict[str, ClassSignature]:
    """Mean and spread of the signatures (N x N_BINS x C) of each name (None is skipped)."""
    result = {}
    hue = radial.CHANNELS.index("H")
    for name in sorted({n for n in names if n is not None}):
        members = signatures[[n == name for n in names]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rings no member covers
            std = np.nanstd(members, axis=0)
        std[:, hue] = np.nan
        result[name] = ClassSignature(radial.mean_signature(members), std.astype(np.float32), len(members))
    return result


def analyze_images(
    root: Path,
    images: list[IndexedImage],
    locator: CellLocator,
    histograms: bool = False,
    progress: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> list[tuple[IndexedImage, ImageAnalysis]]:
    """Analyse each image of a folder; images that cannot be decoded are reported and left out."""
    results: list[tuple[IndexedImage, ImageAnalysis]] = []
    start = time.monotonic()
    for n, image in enumerate(images, 1):
        try:
            rgb = decode_image(read_bytes(root / image.path)).rgb
            results.append((image, analyze_image(rgb, locator, histograms)))
        except ImageDecodeError:
            progress(f"skipped {image.path}: cannot be decoded")
        if n % 250 == 0 or n == len(images):
            progress(f"analysed {n}/{len(images)} images ({time.monotonic() - start:.0f} s)")
    return results


def _evaluation(classifiers: dict, features: np.ndarray, groups: list[str]) -> dict:
    """Accuracy and 8-group confusion matrix of each classifier on labelled features."""
    metrics = {}
    for metric, classifier in classifiers.items():
        matrix = confusion(groups, classifier.predict(features), GROUPS)
        metrics[metric] = {"accuracy_8": float(np.trace(matrix) / matrix.sum()), "confusion": matrix.tolist()}
    return {
        "split": "test",
        "n": len(groups),
        "classes": list(GROUPS),
        "primary_metric": PRIMARY_METRIC,
        "metrics": metrics,
    }


def _fitted_statistics(analyzed: list[tuple[IndexedImage, ImageAnalysis]]) -> dict:
    """Histograms and signatures per group and per fine class of the fitted images."""
    signatures = np.stack([r.signature for _, r in analyzed])
    groups = [i.group for i, _ in analyzed]
    fine = [i.label for i, _ in analyzed]
    counts = np.stack([r.histograms for _, r in analyzed])
    histograms, histogram_images = {}, {}
    for names in (groups, fine):
        for name in sorted({n for n in names if n is not None}):
            members = [n == name for n in names]
            histograms[name] = hist.to_fractions(counts[members].sum(axis=0))
            histogram_images[name] = int(sum(members))
    return {
        "histograms": histograms,
        "histogram_images": histogram_images,
        "signatures": {**class_signatures(signatures, groups), **class_signatures(signatures, fine)},
    }


def _outliers(root: Path, analyzed, split_of, classifier, per_class: int) -> tuple[list[dict], dict]:
    """Outlier rows and their thumbnails: the images farthest from their own group signature."""
    images = [i for i, _ in analyzed]
    features = radial.signature_features(np.stack([r.signature for _, r in analyzed]))
    distances = classifier.distances(features)
    own = distances[np.arange(len(images)), [classifier.classes.index(i.group) for i in images]]
    groups = [i.group for i in images]
    medians = {g: float(np.median(own[[x == g for x in groups]])) for g in set(groups)}
    rows, thumbnails = [], {}
    for index in farthest_per_class(own, groups, per_class):
        image = images[index]
        try:
            rgb = decode_image(read_bytes(root / image.path)).rgb
        except ImageDecodeError:
            continue
        name = Path(image.path).stem + ".jpg"
        thumbnails[name] = thumbnail_jpeg(rgb)
        rows.append(
            {
                "path": image.path,
                "group": image.group,
                "label": file_label(image),
                "split": split_of.get(image.sha256, UNSPLIT),
                "distance": round(float(own[index]), 3),
                "class_median": round(medians[image.group], 3),
                "predicted": classifier.classes[int(distances[index].argmin())],
                "thumbnail": name,
            }
        )
    return rows, thumbnails


def _classify(bundle: StatsBundle, root: Path, fitted, evaluated, split_of, per_class: int) -> None:
    """Fit the classifiers, evaluate them on the test images and find the outliers."""
    groups = [i.group for i, _ in fitted]
    if len(set(groups)) < 2:
        return
    features = radial.signature_features(np.stack([r.signature for _, r in fitted]))
    classifiers = {m: fit_nearest_signature(features, groups, m) for m in METRICS}
    bundle.classifier = classifiers[PRIMARY_METRIC]
    bundle.outliers, bundle.thumbnails = _outliers(
        root, fitted + evaluated, split_of, bundle.classifier, per_class
    )
    if evaluated:
        test_features = radial.signature_features(np.stack([r.signature for _, r in evaluated]))
        bundle.evaluation = _evaluation(classifiers, test_features, [i.group for i, _ in evaluated])


def compute_stats(
    root: str | Path,
    split_of: dict[str, str],
    per_class: int = 300,
    seed: int = 0,
    locator: CellLocator | None = None,
    outliers_per_class: int = 4,
    progress: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> StatsBundle:
    """Compute every statistic the exploration pages show.

    Args:
        root: a PBC-layout folder.
        split_of: sha256 -> split of the project's split CSV ({} when unknown).
        per_class: most images per file label to fit signatures and histograms on.
        seed: seed of that subsample.
        locator: finds the cell centre (default: U-Net, else the derived mask).
        outliers_per_class: outliers kept (with thumbnails) per group.
        progress: called with one line of progress now and then.

    Raises:
        FileNotFoundError: ``root`` is not a folder. ValueError: it holds no usable image.
    """
    started = time.monotonic()
    root = Path(root)
    images, skipped = index_folder(root)
    if not images:
        raise ValueError(f"No images in the PBC layout <group>/<LABEL>_<id>.jpg under {root}.")
    locator = locator or CellLocator()
    fit, evaluate, fit_split = select_images(images, split_of, per_class, seed)
    progress(f"{len(images)} images; fitting on {len(fit)} ({fit_split}), evaluating on {len(evaluate)}")
    fitted = analyze_images(root, fit, locator, True, progress)
    evaluated = analyze_images(root, evaluate, locator, False, progress)
    if not fitted:
        raise ValueError(f"None of the images under {root} could be decoded.")
    bundle = StatsBundle(
        summary=summarise_dataset(images, skipped, split_of),
        radii=radial.bin_centres(),
        channels=radial.CHANNELS,
        **_fitted_statistics(fitted),
    )
    _classify(bundle, root, fitted, evaluated, split_of, outliers_per_class)
    analyzed = fitted + evaluated
    bundle.summary["settings"] = {
        "source": root.name,
        "mask_source": locator.source,
        "fit_split": fit_split,
        "per_class": per_class,
        "seed": seed,
        "n_fit": len(fitted),
        "n_evaluated": len(evaluated),
        "cells_found": sum(r.location.found for _, r in analyzed),
        "undecodable": len(fit) + len(evaluate) - len(analyzed),
        "ring_px": radial.BIN_PX,
        "max_radius_px": radial.MAX_RADIUS,
        "seconds": round(time.monotonic() - started, 1),
    }
    return bundle
