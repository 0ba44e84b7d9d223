"""The core API: bytes in, a cell type with its mask and a status out.

``CellAnalyzer`` runs decode -> pixel size -> U-Net mask -> mask findings ->
classifier -> status for one image or a batch. Every image is first resized to
the pixel size the models were trained at (``pixel_size``), so a tight crop, a
CellaVision image and a large photo of the same cell look alike to them. It never raises for bad input: an image that
cannot be decoded, or is not a single cell, comes back with ``ok``/``status``
and a message a person can act on, and in a batch one bad file never costs the
others their results.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from bcds_core.classifier.abnormal_thresholds import AbnormalThresholds, abnormal_mass
from bcds_core.classifier.answer_checks import AnswerChecks
from bcds_core.classifier.batchnorm import batchnorm_statistics, with_batchnorm_statistics
from bcds_core.classifier.conformal import candidate_set
from bcds_core.classifier.inputs import classifier_batch
from bcds_core.classifier.model import (
    GROUP_MATRIX,
    fine_and_group_probabilities,
    likeliest_in_group,
    load_classifier,
    second_in_group,
)
from bcds_core.domain_check import DOMAIN_CHECK_FILE, DomainCheck
from bcds_core.field.detection import find_white_cells
from bcds_core.flip_tta import averaged_logits
from bcds_core.focus import in_focus
from bcds_core.image_io import ImageDecodeError
from bcds_core.lab_profile import LabProfile, with_release_abnormal_share
from bcds_core.paths import WEIGHTS_DIR
from bcds_core.pixel_size import (
    ASSUMED,
    REFERENCE_PIXEL_UM,
    PixelSize,
    tight_crop_pixel_size,
)
from bcds_core.preprocessing import (
    CANVAS_ORIGINAL_SIDE,
    WORKING_SCALE,
    canvas_side,
    cell_at_scale,
    cell_canvas,
    pad_or_crop_centre,
    resize_mask,
    slide_colour,
    to_scale,
    to_working_scale,
)
from bcds_core.segmentation.derived_masks import dark_pixels
from bcds_core.segmentation.mask_features import MAX_CELL_FRACTION, MaskFeatures, find_cell, mask_centre
from bcds_core.segmentation.masker import CellMasker
from bcds_core.status import Evidence, decide_status
from bcds_core.taxonomy import ABNORMAL_GROUPS, FINE_CLASSES, GROUPS
from bcds_core.upload_reading import decode_for_reading

#: Images per forward pass in a batch.
BATCH_SIZE = 16
#: Lab profiles whose network copies (one classifier each, about 45 MB) an analyzer keeps.
PROFILE_NETWORKS = 4
#: Slide area above which an image is a smear field: 1.5 times a CellaVision cell image (360 x 363
#: pixels at the reference pixel size).
FIELD_MIN_AREA_UM2 = 1.5 * 360 * 363 * REFERENCE_PIXEL_UM**2
#: The fields of ``predict``'s JSON, in order: the command line's contract.
CONTRACT_FIELDS = (
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
    "pixel_size_um",
    "pixel_size_source",
    "flags",
    "candidates",
)


@dataclass
class CellResult:
    """The answer for one file. ``to_json`` gives the CLI contract's fields.

    ``pixel_size_um`` is the pixel size the original image was read at and
    ``pixel_size_source`` where it came from (``given``, ``estimated``, ``assumed``).
    Attributes beyond the contract (not serialised): ``rgb`` (HxWx3 uint8, the
    image at the models' pixel size), ``mask`` (HxW bool, same size),
    ``features``, ``notes``, ``embedding`` (the classifier's pooled features),
    ``content_key`` (sha256 of the uploaded bytes: one image uploaded twice is one
    cell of a sample), ``likely_blast_equivalent`` (the cell counts for the leukaemia
    screen whatever its answer: ``AbnormalThresholds.screen_bar``) and ``field_cells`` (the white cells found where the image is
    a smear field rather than one cell).
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
    flags: tuple[str, ...] = ()
    likely_blast_equivalent: bool = False
    candidates: list[str] = field(default_factory=list)
    decoded_scale: float = 1.0
    content_key: str | None = None
    field_cells: int | None = None
    embedding: np.ndarray | None = None
    rgb: np.ndarray | None = None
    mask: np.ndarray | None = None
    features: MaskFeatures | None = None
    notes: list[str] = field(default_factory=list)
    fine_probabilities: np.ndarray | None = None
    cell: PreparedCell | None = None
    pixel_size: PixelSize | None = None

    def to_json(self) -> dict:
        return {key: getattr(self, key) for key in CONTRACT_FIELDS}

    def drop_images(self) -> None:
        """Free the image, its mask and the prepared cell (1.2 MB a CellaVision cell) where only the
        answer is still needed: a command that keeps every result of a 14,888-image folder would
        otherwise hold 18 GB."""
        self.rgb = self.mask = self.cell = None

    @property
    def pixel_size_um(self) -> float | None:
        """Micrometres per pixel of the uploaded file (not of the decoded, maybe shrunk, image)."""
        return None if self.pixel_size is None else round(self.pixel_size.um * self.decoded_scale, 5)

    @property
    def pixel_size_source(self) -> str | None:
        return None if self.pixel_size is None else self.pixel_size.source

    def read_at(self, pixel_size: PixelSize, original: np.ndarray) -> None:
        """Keep ``original`` (the decoded upload) resized to the models' pixel size, and the pixel size used."""
        self.pixel_size = pixel_size
        scale = pixel_size.scale_to_reference
        self.rgb = original if abs(scale - 1) < 1e-3 else to_scale(original, scale)
        if pixel_size.tight_crop:
            self._pad_to_canvas()

    def read_as_tight_crop(self) -> None:
        """Read the image again as a tight crop of one cell, padded with slide to the canvas.

        At the pixel size the user (or a lab profile) gave or red cells measured; where it was
        only assumed, at the tight-crop pixel size (``tight_crop_pixel_size``) instead: the
        image was then read as it came, so ``rgb`` is still the upload as decoded.
        """
        if self.pixel_size.source == ASSUMED:
            framed = self.pixel_size.cellavision_frame
            self.read_at(
                replace(tight_crop_pixel_size(*self.rgb.shape[:2]), cellavision_frame=framed), self.rgb
            )
        else:
            self.pixel_size = replace(self.pixel_size, tight_crop=True)
            self._pad_to_canvas()

    def _pad_to_canvas(self) -> None:
        side = max(CANVAS_ORIGINAL_SIDE, *self.rgb.shape[:2])
        self.rgb = pad_or_crop_centre(self.rgb, side, fill=slide_colour(self.rgb))


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


class CellAnalyzer:
    """U-Net and classifier, loaded once (hash-checked) and reused for every image.

    One analyzer serves every session of the app. ``lock`` serialises the use
    of its models: Grad-CAM hooks the shared classifier while it explains, and
    a forward pass of another thread would otherwise run through those hooks
    (maps swapped between sessions, or a crash in the hook's bookkeeping).
    """

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, device: str | None = None):
        self.lock = threading.RLock()
        self.profile_networks: OrderedDict[str, torch.nn.Module] = OrderedDict()
        self.device = device or default_device()
        self.masker_dir = weights_dir / "unet"
        self.masker = CellMasker(self.masker_dir, self.device)
        self.classifier, self.classifier_config = load_classifier(weights_dir / "classifier", self.device)
        self.temperature = float(self.classifier_config["temperature"])
        self.review_threshold = float(self.classifier_config["review_threshold"])
        self.tta_views = int(self.classifier_config.get("tta_views", 1))
        self.answer_checks = AnswerChecks.load(weights_dir / "classifier", self.classifier_config)
        self.abnormal_thresholds = (
            self.answer_checks.abnormal if self.answer_checks else AbnormalThresholds.default()
        )
        self.domain_check = DomainCheck.load(weights_dir / DOMAIN_CHECK_FILE)

    def prepare(self, images: list[np.ndarray]) -> list[PreparedCell]:
        """Rescale, mask, describe and centre each RGB image (any size)."""
        working_images = [to_working_scale(rgb) for rgb in images]
        prepared = []
        with self.lock:
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
        with self.lock:
            logits = averaged_logits(self.classifier, inputs.to(self.device), views or self.tta_views)
        fine, _ = fine_and_group_probabilities(logits, self.temperature)
        return fine.cpu().numpy()

    def fine_probabilities(self, cells: list[PreparedCell]) -> np.ndarray:
        """Calibrated N x fine-class probabilities of prepared cells."""
        return self.fine_probabilities_of_inputs(self.classifier_input(cells))

    def check_profile(self, profile: LabProfile) -> LabProfile:
        """``profile``, once its head and BatchNorm statistics are known to fit this network (only a
        profile edited and sealed again can fail here: ``LabProfile.from_files`` checks the rest).

        Raises:
            ProfileError: in words.
        """
        shapes = {name: value.shape for name, value in batchnorm_statistics(self.classifier).items()}
        profile.check_fits(self.classifier.network.fc.in_features, shapes)
        return profile

    def classifier_for(self, profile: LabProfile | None, keep: bool = True) -> torch.nn.Module:
        """The network that reads a lab's images: the release's, or a copy holding the BatchNorm
        statistics of the lab profile (the copies of the ``PROFILE_NETWORKS`` most recently used
        profiles are kept, so a lab that keeps working is never evicted by others passing through).
        With ``keep`` False the copy is made for this call only: a profile being fitted must not
        evict the networks of the labs at work."""
        key = None if profile is None else profile.batchnorm_key
        if key is None:
            return self.classifier
        with self.lock:
            if key in self.profile_networks:
                self.profile_networks.move_to_end(key)
                return self.profile_networks[key]
            with torch.inference_mode(False):  # the explanations take gradients through the copy
                network = with_batchnorm_statistics(self.classifier, profile.batchnorm)
            if keep:
                if len(self.profile_networks) >= PROFILE_NETWORKS:
                    self.profile_networks.popitem(last=False)
                self.profile_networks[key] = network
            return network

    @torch.inference_mode()
    def answers(
        self, cells: list[PreparedCell], profile: LabProfile | None = None, keep_network: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated N x fine-class probabilities, N x D pooled features) of prepared cells,
        through the network of the lab profile if one is given (``classifier_for``). A network
        with the lab's BatchNorm statistics shares out the normal classes only: the abnormal
        classes keep the release network's probabilities (``with_release_abnormal_share``)."""
        return self.answers_of_inputs(self.classifier_input(cells), profile, keep_network)

    @torch.inference_mode()
    def answers_of_inputs(
        self, inputs: torch.Tensor, profile: LabProfile | None = None, keep_network: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """``answers`` of classifier input tensors (``classifier_input``), as ``answers`` gives them."""
        inputs = inputs.to(self.device, torch.float32)
        network = self.classifier_for(profile, keep_network)
        features, fine = self._features_and_fine(network, inputs)
        if network is not self.classifier:
            _, release_fine = self._features_and_fine(self.classifier, inputs)
            fine = with_release_abnormal_share(fine, release_fine)
        return fine, features

    def _features_and_fine(
        self, network: torch.nn.Module, inputs: torch.Tensor
    ) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            features, plain = network.features_and_logits(inputs)
            logits = averaged_logits(network, inputs, self.tta_views, plain=plain)
        fine, _ = fine_and_group_probabilities(logits, self.temperature)
        return features.cpu().numpy(), fine.cpu().numpy()

    def familiar(self, embeddings: np.ndarray, profile: LabProfile | None = None) -> np.ndarray:
        """N flags: features within the release's familiarity threshold (or the lab profile's).

        All familiar for a release fitted before the check existed.
        """
        if self.answer_checks is None:
            return np.ones(len(embeddings), bool)
        threshold = self.answer_checks.familiarity.threshold
        if profile is not None and profile.familiarity_threshold is not None:
            threshold = max(threshold, profile.familiarity_threshold)
        return self.answer_checks.familiarity.distances(embeddings) <= threshold

    def candidates(self, fine: np.ndarray, answer: str) -> list[str]:
        """Groups plausible at the release's conformal coverage, the answered group first (just the
        answer without the check). The answer is always among them: where a likelier abnormal group
        stays below its threshold, the set of the likeliest groups may leave the answer out."""
        if self.answer_checks is None:
            return [answer]
        plausible = candidate_set(fine @ GROUP_MATRIX, self.answer_checks.conformal_quantile)
        return [answer] + [GROUPS[i] for i in plausible if GROUPS[i] != answer]

    def analyze_bytes(
        self,
        items: list[tuple[str, bytes]],
        pixel_size_um: float | None = None,
        profile: LabProfile | None = None,
    ) -> list[CellResult]:
        """Analyse named uploads; each gets a result, whatever its bytes hold.

        Args:
            items: (name, bytes) of each upload.
            pixel_size_um: micrometres per pixel of every upload, where the user knows it;
                otherwise the lab profile's, or each image's estimated from its red cells or assumed.
            profile: the lab profile of the microscope the uploads come from, if any.
        """
        results: list[CellResult] = []
        for name, data in items:
            key = content_key(data)
            try:
                image, pixel_size = decode_for_reading(data, pixel_size_um, profile)
            except ImageDecodeError as error:
                results.append(
                    CellResult(file=name, ok=False, error=str(error), message=str(error), content_key=key)
                )
                continue
            result = CellResult(
                file=name, ok=True, notes=image.notes, decoded_scale=image.scale, content_key=key
            )
            result.read_at(pixel_size, image.rgb)
            results.append(result)
        self._classify([r for r in results if r.ok], profile)
        return results

    def analyze_arrays(
        self, items: list[tuple[str, np.ndarray]], pixel_size: PixelSize, profile: LabProfile | None = None
    ) -> list[CellResult]:
        """Analyse named RGB arrays (HxWx3 uint8) of a known pixel size, e.g. cells cut from a field."""
        results = []
        for name, rgb in items:
            result = CellResult(file=name, ok=True)
            result.read_at(pixel_size, rgb)
            results.append(result)
        self._classify(results, profile)
        return results

    def _classify(self, results: list[CellResult], profile: LabProfile | None) -> None:
        for start in range(0, len(results), BATCH_SIZE):
            self._classify_chunk(results[start : start + BATCH_SIZE], profile)

    def _prepare_reading_tight_crops(self, results: list[CellResult]) -> list[PreparedCell]:
        """Prepare each result's image; one whose cell fills the frame is read again as a tight
        crop of one cell (``CellResult.read_as_tight_crop``), whatever its pixel size's source."""
        cells = self.prepare([r.rgb for r in results])
        tight = [
            i
            for i, (r, c) in enumerate(zip(results, cells, strict=True))
            if not r.pixel_size.tight_crop and c.features.area_fraction > MAX_CELL_FRACTION
        ]
        if not tight:
            return cells
        for i in tight:
            results[i].read_as_tight_crop()
        for i, cell in zip(tight, self.prepare([results[i].rgb for i in tight]), strict=True):
            cells[i] = cell
        return cells

    def _classify_chunk(self, results: list[CellResult], profile: LabProfile | None) -> None:
        cells = self._prepare_reading_tight_crops(results)
        probabilities, embeddings = self.answers(cells, profile)
        own_groups = [None] * len(cells)
        if profile is not None and profile.head is not None:
            own_groups = [GROUPS[i] for i in self.abnormal_thresholds.answers(probabilities @ GROUP_MATRIX)]
            probabilities = profile.adjust(probabilities, embeddings)
        familiar = self.familiar(embeddings, profile)
        for result, cell, fine, known, embedding, own_group in zip(
            results, cells, probabilities, familiar, embeddings, own_groups, strict=True
        ):
            result.embedding = embedding
            result.mask = resize_mask(cell.mask, *result.rgb.shape[:2])
            result.cell = cell
            result.features = cell.features
            result.single_cell = cell.features.single_cell
            fill_answer(result, fine, self.abnormal_thresholds)
            result.candidates = self.candidates(fine, result.group)
            evidence = Evidence(
                familiar=bool(known),
                candidates=tuple(result.candidates),
                colour_familiar=self.domain_check.looks_like_smear(cell.working, cell.mask),
                label_confidence=result.label_confidence,
                group_confidence=result.group_confidence,
                label_rival=label_rival(fine, result.group),
                review_threshold=self.review_threshold,
                group=result.group,
                label=result.label,
                flags=result.flags,
                abnormal_share=float(abnormal_mass(fine @ GROUP_MATRIX)[0]),
                abnormal_exclusion=self.abnormal_thresholds.exclusion,
                pixel_size=result.pixel_size,
                known_set_up=result.pixel_size.cellavision_frame
                or (profile is not None and profile.fitted_to_set_up),
                greyscale=is_greyscale(result.rgb),
                in_focus=in_focus(cell.canvas, cell.canvas_mask, cell.scale),
                cell_description=(
                    describe_cell(cell.working, cell.mask) if result.group in ABNORMAL_GROUPS else ""
                ),
                overruled_group=own_group if own_group not in (None, result.group) else None,
            )
            result.status, result.message = decide_status(cell.features, evidence)
            if looks_like_field(result.rgb):
                answer_on_a_field(result)
            if not cell.features.cell_found or result.status == "rejected":
                clear_answer(result)


def content_key(data: bytes) -> str:
    """The upload's identity whatever its name (sha256 of its bytes): one image given twice is one cell."""
    return hashlib.sha256(data).hexdigest()


def fill_answer(result: CellResult, fine: np.ndarray, abnormal: AbnormalThresholds | None = None) -> None:
    """Set the group, its fine class, the top-3, the abnormal flags and whether the leukaemia screen
    counts the cell as a likely blast equivalent, from calibrated fine probabilities; an abnormal
    group wins or flags only at its release's threshold."""
    groups = fine @ GROUP_MATRIX
    abnormal = abnormal or AbnormalThresholds.default()
    group_index, result.flags = abnormal.answer(groups)
    result.likely_blast_equivalent = bool(abnormal.likely_blast_equivalent(groups)[0])
    best = likeliest_in_group(fine, group_index)
    result.fine_probabilities = fine
    result.group = GROUPS[group_index]
    result.group_confidence = round(float(groups[group_index]), 4)
    result.label = FINE_CLASSES[best]
    result.label_confidence = round(float(fine[best]), 4)
    order = np.argsort(fine)[::-1][:3]
    result.top = [[FINE_CLASSES[i], round(float(fine[i]), 4)] for i in order]


def label_rival(fine: np.ndarray, group: str) -> tuple[str, float] | None:
    """The answered group's second likeliest fine class and its probability (``Evidence.label_rival``)."""
    second = second_in_group(fine, GROUPS.index(group))
    return None if second is None else (FINE_CLASSES[second], round(float(fine[second]), 4))


def clear_answer(result: CellResult) -> None:
    """No cell, no class: never give a class for an image without a cell, nor for a rejected one
    (a field of several cells, a mask filling the frame), which a script reading ``group``
    without ``status`` would otherwise take for an answer."""
    result.group = result.label = result.group_confidence = result.label_confidence = None
    result.top = []
    result.flags = ()
    result.likely_blast_equivalent = False
    result.candidates = []


def looks_like_field(rgb: np.ndarray) -> bool:
    """The image at the reference pixel size covers more slide than a single-cell image does."""
    return rgb.shape[0] * rgb.shape[1] * REFERENCE_PIXEL_UM**2 > FIELD_MIN_AREA_UM2


def answer_on_a_field(result: CellResult) -> None:
    """A single-cell answer is never ``ok`` on a smear field: say what the field holds and what to
    do. With one white cell the answer stays, for review, with what it said (a possible blast's
    description) after the note, and a rejection stays one; with other than one there is no
    single cell to answer for (with none, no field either)."""
    count = result.field_cells = len(find_white_cells(result.rgb))
    if count == 0:  # no field to analyse either: "analyse it as a field" sent the user round in a loop
        note = (
            "It covers more than one cell's view, and nothing in it is stained like a white cell's nucleus."
        )
    else:
        note = (
            f"This looks like a smear field with {count} white cell{'s' if count != 1 else ''}, not an image "
            "of one cell: analyse it as a field (python -m bcds_core analyze-field, or the app's field mode)."
        )
    if count != 1:
        message = f"{result.message} {note}" if result.status == "rejected" else note
        result.status, result.message, result.single_cell = "rejected", message, False
    elif result.status == "rejected":
        result.message = f"{result.message} {note}"
    else:
        result.status, result.message = "review", f"{note} {result.message}"


def is_greyscale(rgb: np.ndarray) -> bool:
    """The three channels are the same (within JPEG noise): the image holds no colour."""
    sample = rgb[::4, ::4].astype(np.int16)
    return bool(np.abs(sample - sample.mean(axis=2, keepdims=True)).max() <= 3)


def describe_cell(working: np.ndarray, mask: np.ndarray) -> str:
    """Measured size and nucleus share of a cell, e.g. " (about 16 um across, nucleus 75 % of the cell)".

    The working image is at half the models' pixel size, so its pixels are
    ``REFERENCE_PIXEL_UM / WORKING_SCALE`` micrometres across.
    """
    area = int(mask.sum())
    if area == 0:
        return ""
    diameter_um = 2 * np.sqrt(area / np.pi) * REFERENCE_PIXEL_UM / WORKING_SCALE
    nucleus = float((dark_pixels(working) & mask).sum()) / area
    return f" (about {diameter_um:.0f} um across, nucleus {nucleus:.0%} of the cell)"
