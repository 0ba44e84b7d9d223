"""The core API: bytes in, a cell type with its mask and a status out.

``CellAnalyzer`` runs decode -> U-Net mask -> mask findings -> classifier ->
status for one image or a batch. It never raises for bad input: an image that
cannot be decoded, or is not a single cell, comes back with ``ok``/``status``
and a message a person can act on, and in a batch one bad file never costs the
others their results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bcds_core.classifier.inputs import classifier_batch
from bcds_core.classifier.model import (
    GROUP_MATRIX,
    consistent_answer,
    fine_and_group_probabilities,
    load_classifier,
)
from bcds_core.domain_check import DOMAIN_CHECK_FILE, DomainCheck
from bcds_core.flip_tta import averaged_logits
from bcds_core.image_io import ImageDecodeError, decode_image
from bcds_core.paths import WEIGHTS_DIR
from bcds_core.preprocessing import (
    background_colour,
    canvas_side,
    cell_at_scale,
    resize_mask,
    to_working_scale,
)
from bcds_core.segmentation.mask_features import MaskFeatures, find_cell, mask_centre
from bcds_core.segmentation.masker import CellMasker
from bcds_core.status import decide_status
from bcds_core.taxonomy import FINE_CLASSES, GROUPS

#: Images per forward pass in a batch.
BATCH_SIZE = 16


@dataclass
class CellResult:
    """The answer for one file. ``to_json`` gives the CLI contract's fields.

    Attributes beyond the contract (not serialised): ``rgb`` (HxWx3 uint8),
    ``mask`` (HxW bool, original size), ``features`` and ``notes``.
    """

    file: str
    ok: bool
    error: str | None = None
    group: str | None = None
    label: str | None = None
    group_confidence: float | None = None
    label_confidence: float | None = None
    top: list[list] = field(default_factory=list)
    single_cell: bool = False
    status: str = "rejected"
    message: str = ""
    rgb: np.ndarray | None = None
    mask: np.ndarray | None = None
    features: MaskFeatures | None = None
    notes: list[str] = field(default_factory=list)
    fine_probabilities: np.ndarray | None = None
    cell: PreparedCell | None = None

    def to_json(self) -> dict:
        keys = (
            "file",
            "ok",
            "error",
            "group",
            "label",
            "group_confidence",
            "label_confidence",
            "top",
            "single_cell",
            "status",
            "message",
        )
        return {key: getattr(self, key) for key in keys}


def default_device() -> str:
    """CUDA where a GPU is present, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class PreparedCell:
    """A decoded image at working scale with its mask, and the classifier's canvas.

    ``canvas``, ``canvas_mask`` and ``centre`` (x, y of the canvas centre in the
    image) are at the classifier's ``scale``, pixels per original pixel.
    """

    working: np.ndarray
    mask: np.ndarray
    features: MaskFeatures
    canvas: np.ndarray
    canvas_mask: np.ndarray
    centre: tuple[int, int]
    scale: float
    image_shape: tuple[int, int]


def cell_canvas(
    image: np.ndarray, mask: np.ndarray, centre: tuple[int, int], side: int
) -> tuple[np.ndarray, np.ndarray]:
    """A ``side`` square of ``image`` and ``mask`` centred on ``centre`` (x, y), padded with the slide colour."""
    half = side // 2
    top, left = centre[1] - half, centre[0] - half
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[...] = background_colour(image)
    canvas_mask = np.zeros((side, side), np.uint8)
    src_t, src_l = max(top, 0), max(left, 0)
    src_b = min(top + side, image.shape[0])
    src_r = min(left + side, image.shape[1])
    if src_b > src_t and src_r > src_l:
        canvas[src_t - top : src_b - top, src_l - left : src_r - left] = image[src_t:src_b, src_l:src_r]
        canvas_mask[src_t - top : src_b - top, src_l - left : src_r - left] = mask[src_t:src_b, src_l:src_r]
    return canvas, canvas_mask


class CellAnalyzer:
    """U-Net and classifier, loaded once (hash-checked) and reused for every image."""

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, device: str | None = None):
        self.device = device or default_device()
        self.masker = CellMasker(weights_dir / "unet", self.device)
        self.classifier, self.classifier_config = load_classifier(weights_dir / "classifier", self.device)
        self.temperature = float(self.classifier_config.get("temperature", 1.0))
        self.review_threshold = float(self.classifier_config.get("review_threshold", 0.5))
        self.tta_views = int(self.classifier_config.get("tta_views", 1))
        self.domain_check = DomainCheck.load(weights_dir / DOMAIN_CHECK_FILE)

    def prepare(self, images: list[np.ndarray]) -> list[PreparedCell]:
        """Rescale, mask, describe and centre each RGB image (any size)."""
        working_images = [to_working_scale(rgb) for rgb in images]
        prepared = []
        masks = self.masker.masks(working_images)
        scale = self.classifier_config["scale"]
        for rgb, working, mask in zip(images, working_images, masks, strict=True):
            main, features = find_cell(working, mask)
            scaled, scaled_mask = cell_at_scale(rgb, working, main, scale)
            x, y = mask_centre(scaled_mask)
            centre = (int(round(x)), int(round(y)))
            canvas, canvas_mask = cell_canvas(scaled, scaled_mask, centre, canvas_side(scale))
            prepared.append(
                PreparedCell(working, main, features, canvas, canvas_mask, centre, scale, rgb.shape[:2])
            )
        return prepared

    def crop_mask(self, cell: PreparedCell) -> np.ndarray:
        """The cell mask over the classifier's input crop (CxC float32 0/1)."""
        side = self.classifier_config["input_side"]
        offset = (cell.canvas_mask.shape[0] - side) // 2
        return cell.canvas_mask[offset : offset + side, offset : offset + side].astype(np.float32)

    def classifier_input(self, cells: list[PreparedCell]) -> torch.Tensor:
        """The classifier's input batch for prepared cells."""
        centre = canvas_side(self.classifier_config["scale"]) / 2 - 0.5
        centres = np.full((len(cells), 2), centre, np.float32)
        canvases = np.stack([c.canvas for c in cells])
        masks = np.stack([c.canvas_mask for c in cells])
        return classifier_batch(canvases, masks, centres, self.classifier_config).to(self.device)

    @torch.inference_mode()
    def fine_probabilities_of_inputs(self, inputs: torch.Tensor, views: int | None = None) -> np.ndarray:
        """Calibrated Nx11 fine-class probabilities of classifier input tensors.

        ``views``: flip views averaged (default: the release's ``tta_views``).
        """
        logits = averaged_logits(self.classifier, inputs.to(self.device), views or self.tta_views)
        fine, _ = fine_and_group_probabilities(logits, self.temperature)
        return fine.cpu().numpy()

    def fine_probabilities(self, cells: list[PreparedCell]) -> np.ndarray:
        """Calibrated Nx11 fine-class probabilities of prepared cells."""
        return self.fine_probabilities_of_inputs(self.classifier_input(cells))

    def analyze_bytes(self, items: list[tuple[str, bytes]]) -> list[CellResult]:
        """Analyse named uploads; each gets a result, whatever its bytes hold."""
        results: list[CellResult] = []
        decoded: list[tuple[int, np.ndarray]] = []
        for name, data in items:
            try:
                image = decode_image(data)
            except ImageDecodeError as error:
                results.append(CellResult(file=name, ok=False, error=str(error), message=str(error)))
                continue
            results.append(CellResult(file=name, ok=True, rgb=image.rgb, notes=image.notes))
            decoded.append((len(results) - 1, image.rgb))
        for start in range(0, len(decoded), BATCH_SIZE):
            chunk = decoded[start : start + BATCH_SIZE]
            self._classify_chunk([results[i] for i, _ in chunk], [rgb for _, rgb in chunk])
        return results

    def _classify_chunk(self, results: list[CellResult], images: list[np.ndarray]) -> None:
        cells = self.prepare(images)
        probabilities = self.fine_probabilities(cells)
        for result, cell, fine in zip(results, cells, probabilities, strict=True):
            result.mask = resize_mask(cell.mask, *result.rgb.shape[:2])
            result.cell = cell
            result.features = cell.features
            result.single_cell = cell.features.single_cell
            fill_answer(result, fine)
            looks_like_smear = self.domain_check.looks_like_smear(cell.working, cell.mask)
            result.status, result.message = decide_status(
                cell.features, looks_like_smear, result.label_confidence, self.review_threshold, result.notes
            )
            if not cell.features.cell_found:
                clear_answer(result)


def fill_answer(result: CellResult, fine: np.ndarray) -> None:
    """Set the group, its fine class and the top-3 from calibrated fine probabilities."""
    group_index, best = consistent_answer(fine)
    result.fine_probabilities = fine
    result.group = GROUPS[group_index]
    result.group_confidence = round(float((fine @ GROUP_MATRIX)[group_index]), 4)
    result.label = FINE_CLASSES[best]
    result.label_confidence = round(float(fine[best]), 4)
    order = np.argsort(fine)[::-1][:3]
    result.top = [[FINE_CLASSES[i], round(float(fine[i]), 4)] for i in order]


def clear_answer(result: CellResult) -> None:
    """No cell, no class: never show a class for an image without a cell."""
    result.group = result.label = result.group_confidence = result.label_confidence = None
    result.top = []
