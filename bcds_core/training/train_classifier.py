"""Train the classifier from scratch on the masked cell, on the CPU.

One ResNet predicts the 11 fine classes; images labelled only NEUTROPHIL or IG
train through their group's summed probability (``allowed_set_nll``). Classes
are weighted by the inverse square root of their frequency, so the rare
immature granulocytes are not drowned by neutrophils. After the last epoch the
temperature is fitted on the validation split and the release is written with
its config; the test split is never touched here. Resumable after a stop.

A phase that fine-tunes a trained run may average its weights instead of
annealing them (``--average-weights``, stochastic weight averaging): the
learning rate warms up over one epoch and stays, and the release is the mean
of the weights at every epoch's end. The idea is that the mean lies nearer the
centre of a wide minimum than any single endpoint; here it did not beat a fully
annealed one-cycle phase in the epochs tried (``docs/training.md``).

A phase may also train nothing and release the mean of other releases'
weights (``--soup``, ``training.soup``) through the same release step.
"""

from __future__ import annotations

import argparse
import copy
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel

from bcds_core.classifier.batchnorm import reestimate_batchnorm
from bcds_core.classifier.calibration import fit_temperature, review_threshold
from bcds_core.classifier.inputs import classifier_batch
from bcds_core.classifier.model import (
    allowed_set_nll,
    build_classifier,
    consistent_answer,
    group_sets,
    release_classes,
    widen_head,
)
from bcds_core.flip_tta import VIEW_CHOICES, averaged_logits
from bcds_core.image_cache import open_sources
from bcds_core.paths import repo_relative
from bcds_core.preprocessing import PIXEL_MEAN, PIXEL_STD, scaled_pixels
from bcds_core.segmentation.mask_features import mask_centre
from bcds_core.taxonomy import FINE_CLASSES, FINE_TO_GROUP, group_of
from bcds_core.training.epoch_loop import EpochLoop
from bcds_core.training.run_state import RunState, is_release
from bcds_core.training.settings import ClassifierPhase, phase_settings
from bcds_core.training.soup import mean_weights
from bcds_core.weights_io import load_released, save_released

#: Dilation of the cell mask at inference, working pixels (training draws several).
RELEASE_MASK_DILATION = 5
#: Inference dilations (working pixels) a release trained with wide masks compares on validation.
MASK_DILATION_CHOICES = (5, 13, 21, 31)
#: How far below the best validation group accuracy a wider dilation may fall and still be chosen.
MASK_DILATION_TOLERANCE = 0.001
#: Training images used to recompute BatchNorm statistics before release.
BN_CALIBRATION_IMAGES = 2048


def allowed_matrix(rows) -> np.ndarray:
    """N x fine classes bool: which fine classes each row's label allows."""
    allowed = np.zeros((len(rows), len(FINE_CLASSES)), bool)
    for i, row in enumerate(rows):
        if row.label:
            allowed[i, FINE_CLASSES.index(row.label)] = True
        else:
            allowed[i] = [FINE_TO_GROUP[f] == row.group for f in FINE_CLASSES]
    return allowed


def class_weights(rows, indices: np.ndarray) -> np.ndarray:
    """Per-sample loss weights: (median label count / label count) ** 0.5."""
    labels = [rows[i].label or rows[i].group for i in indices]
    names, counts = np.unique(labels, return_counts=True)
    per_label = dict(zip(names, np.sqrt(np.median(counts) / counts), strict=True))
    return np.array([per_label[label] for label in labels], np.float32)


def centres_of(cache, indices: np.ndarray) -> np.ndarray:
    return np.array([mask_centre(cache.masks[i] > 0) for i in indices], np.float32)


def predict_logits(model, cache, indices, centres, config, batch_size=128, views=1) -> torch.Tensor:
    """Logits for cached images, without training augmentation (``views``: flip views averaged)."""
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(indices), batch_size):
            chosen = indices[start : start + batch_size]
            x = classifier_batch(
                cache.images[chosen], cache.masks[chosen], centres[start : start + batch_size], config
            )
            outputs.append(averaged_logits(model, x, views))
    return torch.cat(outputs)


def accuracies(logits: torch.Tensor, rows) -> dict[str, float]:
    """Group accuracy on all rows, fine-class accuracy on fine-labelled rows, of the product's consistent answer.

    On PBC rows these are the 8-group and 11-class accuracies.
    """
    fine = torch.softmax(logits, 1).numpy()
    predicted = [FINE_CLASSES[consistent_answer(f)[1]] for f in fine]
    group_hits = [group_of(p) == r.group for p, r in zip(predicted, rows, strict=True)]
    fine_hits = [p == r.label for p, r in zip(predicted, rows, strict=True) if r.label]
    return {"acc8": float(np.mean(group_hits)), "acc11": float(np.mean(fine_hits))}


def batch_loss(
    model, x, allowed, sample_weights, bf16: bool = False, group_weight: float = 0.0
) -> torch.Tensor:
    """Class-weighted -log P(label set) of one batch, plus ``group_weight`` x -log P(true group).

    -log P(fine) already holds -log P(group) once; ``group_weight`` counts the
    group term again, because the 8-group answer is the product's first one and
    its remaining errors lie between groups (immature granulocytes against
    neutrophils and monocytes). For a group-only label the two terms coincide.

    With ``bf16`` only the forward pass runs under bfloat16 autocast (2x faster on
    a CPU with AVX512-BF16); the loss is taken in float32 from float32 logits, so
    the log-sum-exp over the allowed classes keeps its precision.
    """
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x).float()
    per_sample = allowed_set_nll(logits, allowed)
    if group_weight:
        per_sample = per_sample + group_weight * allowed_set_nll(logits, group_sets(allowed))
    return (per_sample * sample_weights).sum() / sample_weights.sum()


def learning_rate_schedule(settings, optimiser, steps_per_epoch: int):
    """One-cycle for a phase that learns; for weight averaging, a one-epoch warm-up to a constant rate."""
    if settings.average_weights:
        return torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: min(1.0, (step + 1) / steps_per_epoch)
        )
    return torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=settings.lr, total_steps=settings.epochs * steps_per_epoch, pct_start=0.15
    )


def released_weights(state: dict) -> dict:
    """The weights a checkpoint releases: the running average where the phase averages, else the last."""
    if "averaged" not in state:
        return state["model"]
    prefix = "module."
    return {k[len(prefix) :]: v for k, v in state["averaged"].items() if k.startswith(prefix)}


def starting_weights(init_from: Path, model: torch.nn.Module) -> dict:
    """Weights a fine-tuning phase starts from: a release folder's (hash-checked) or a run's final ones.

    A release trained on fewer classes gets the new classes' output rows from ``model``.
    """
    if is_release(init_from):
        state, config = load_released(init_from)
        classes = release_classes(config)
        return state if classes == list(FINE_CLASSES) else widen_head(state, classes, model)
    return released_weights(RunState(init_from).load())


def per_source_accuracies(logits: torch.Tensor, rows, sources: np.ndarray) -> dict[str, float]:
    """``accuracies`` on PBC rows (``acc8``, ``acc11``) and on each other source (``<source>_acc8`` ...)."""
    metrics = {}
    for name in dict.fromkeys(sources.tolist()):
        chosen = np.flatnonzero(sources == name)
        found = accuracies(logits[chosen], [rows[i] for i in chosen])
        prefix = "" if name == "pbc" else f"{name}_"
        metrics.update({prefix + key: value for key, value in found.items()})
    return metrics


@dataclass(frozen=True)
class ValidationSplit:
    """The validation images with their cell centres and rows: what each epoch and the release measure on."""

    cache: object
    indices: np.ndarray
    centres: np.ndarray
    rows: list

    def logits(self, model, config: dict, views: int = 1) -> torch.Tensor:
        return predict_logits(model, self.cache, self.indices, self.centres, config, views=views)


@dataclass(frozen=True)
class TrainingData:
    """The cached images a phase trains and validates on, and what each label allows."""

    cache: object
    rows: list
    train_idx: np.ndarray
    val_idx: np.ndarray
    allowed: torch.Tensor
    validation: ValidationSplit


def training_data(settings: ClassifierPhase, run: RunState) -> TrainingData:
    """Open the phase's caches; images without a mask of its source are left out (and counted in the log)."""
    cache = open_sources(list(settings.sources), settings.scale, settings.mask_source)
    usable = cache.mask_found
    split = np.array([r.split for r in cache.rows])
    val_idx = np.flatnonzero((split == "val") & usable)
    data = TrainingData(
        cache=cache,
        rows=cache.rows,
        train_idx=np.flatnonzero((split == "train") & usable),
        val_idx=val_idx,
        allowed=torch.from_numpy(allowed_matrix(cache.rows)),
        validation=ValidationSplit(
            cache, val_idx, centres_of(cache, val_idx), [cache.rows[i] for i in val_idx]
        ),
    )
    run.log(
        f"{settings.arch} at {settings.input_side}px, scale {cache.scale}, sources {list(settings.sources)}: "
        f"train {len(data.train_idx)}, val {len(data.val_idx)}; "
        f"{int((~usable & (split != 'test')).sum())} train/val images without a {settings.mask_source} mask skipped"
    )
    return data


def train(args: argparse.Namespace) -> None:
    """Train one phase as the command line or a recipe phase gives it, then release it."""
    settings = phase_settings(ClassifierPhase, args)
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    np.random.seed(settings.seed)
    run = RunState(Path(settings.run_dir))
    run.record_phase(settings.recorded(), settings.init_from, settings.soup)
    data = training_data(settings, run)
    cache = data.cache
    config = {
        "arch": settings.arch,
        "classes": list(FINE_CLASSES),
        "input_side": settings.input_side,
        "scale": cache.scale,
        "mask_dilation": scaled_pixels(RELEASE_MASK_DILATION, cache.scale),
        "mean": PIXEL_MEAN,
        "std": PIXEL_STD,
    }
    if settings.soup:
        run.log(f"the mean of the weights of {', '.join(repo_relative(r) for r in settings.soup)}")
        release(settings, config, run, data, mean_weights([Path(r) for r in settings.soup]))
        return
    weight_of = dict(
        zip(data.train_idx.tolist(), torch.from_numpy(class_weights(data.rows, data.train_idx)), strict=True)
    )
    train_centres = dict(zip(data.train_idx.tolist(), centres_of(cache, data.train_idx), strict=True))
    model = build_classifier(settings.arch).to(memory_format=torch.channels_last)
    frozen = freeze_before(model, settings.train_from)
    trained_parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained_parameters, lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = learning_rate_schedule(settings, optimiser, len(data.train_idx) // settings.batch_size)
    loop = EpochLoop(
        run,
        model,
        optimiser,
        scheduler,
        settings.batch_size,
        shuffle_seed=1000 * (settings.seed + 1),
        frozen=frozen,
    )
    start_epoch, kept = loop.resume()
    if start_epoch == 0 and settings.init_from:
        model.load_state_dict(starting_weights(Path(settings.init_from), model))
        run.log(f"fine-tuning the final weights of {repo_relative(settings.init_from)}")
    averaged = AveragedModel(model, use_buffers=True) if settings.average_weights else None
    if averaged is not None and "averaged" in kept:
        averaged.load_state_dict(kept["averaged"])

    def loss_of(chosen: np.ndarray) -> torch.Tensor:
        x = classifier_batch(
            cache.images[chosen],
            cache.masks[chosen],
            np.stack([train_centres[i] for i in chosen]),
            config,
            augment=True,
            stain=settings.stain_augment,
            camera=(settings.camera_share, settings.camera_max_factor) if settings.camera_augment else None,
            wide_masks=settings.mask_augment,
        )
        sample_weights = torch.stack([weight_of[i] for i in chosen])
        return batch_loss(
            model, x, data.allowed[chosen], sample_weights, settings.bf16, settings.group_weight
        )

    for epoch in range(settings.epochs if settings.release_only else start_epoch, settings.epochs):
        trained = loop.train_epoch(epoch, data.train_idx, loss_of)
        if averaged is not None:
            averaged.update_parameters(model)
        logits = data.validation.logits(averaged.module if averaged else model, config)
        validation = per_source_accuracies(logits, data.validation.rows, cache.source[data.val_idx])
        loop.end_epoch(
            trained,
            {f"val_{k}": v for k, v in validation.items()},
            **({"averaged": averaged.state_dict()} if averaged else {}),
        )
    release(settings, config, run, data, released_weights(run.load()))


def freeze_before(model: torch.nn.Module, first_trained: str | None) -> tuple[torch.nn.Module, ...]:
    """Stop training the ResNet's blocks before ``first_trained`` (``None``: train them all).

    A short fine-tune of a release then moves only its later, class-specific blocks, and its
    backward pass stops halfway: about twice the images per second on a CPU, and the early
    features (and their BatchNorm statistics) that other microscopes' images pass through stay
    those the release was chosen with.

    Returns:
        The frozen blocks, for the epoch loop to keep in eval mode.
    """
    if first_trained is None:
        return ()
    blocks = dict(model.named_children())
    if first_trained not in blocks:
        raise ValueError(f"The network has no block '{first_trained}'; it has {', '.join(blocks)}.")
    frozen = tuple(itertools.takewhile(lambda block: block is not blocks[first_trained], blocks.values()))
    for block in frozen:
        block.requires_grad_(False)
    return frozen


def recalibrate_batchnorm(model, cache, indices, centres, config, batch_size=64, keep=()) -> None:
    """Recompute BatchNorm running statistics on unaugmented training images (not those of the
    untrained blocks in ``keep``).

    At one-cycle's high learning rates the running averages lag far behind the
    weights, and a cumulative average over clean inputs makes evaluation mode
    match them. At the end of the schedule the averages are current but were
    taken on augmented inputs, which the weights were fitted to; so the
    release measures both on validation and keeps the better (``release``).
    """
    reestimate_batchnorm(
        model,
        (
            classifier_batch(
                cache.images[indices[start : start + batch_size]],
                cache.masks[indices[start : start + batch_size]],
                centres[start : start + batch_size],
                config,
            )
            for start in range(0, len(indices), batch_size)
        ),
        keep,
    )


def choose_classifier_views(
    model, plain_logits, validation: ValidationSplit, config: dict, run: RunState, choices=VIEW_CHOICES
) -> tuple[int, torch.Tensor, dict]:
    """How many flip views to average: the most accurate of ``choices`` on validation, fewest on a tie.

    Args:
        plain_logits: ``model``'s validation logits from one plain look (already computed).
        choices: view counts to try (``flip_tta.VIEW_CHOICES``); a phase may try fewer, as each
            view costs a pass over the validation split.

    Returns:
        (views, validation logits with that many views, validation accuracies of each choice).
    """
    candidates = {}
    for views in choices:
        logits = plain_logits if views == 1 else validation.logits(model, config, views)
        candidates[views] = (accuracies(logits, validation.rows), logits)
        run.log(f"validation with {views} view(s): {candidates[views][0]}")
    views = max(candidates, key=lambda v: (candidates[v][0]["acc11"], candidates[v][0]["acc8"], -v))
    return views, candidates[views][1], {str(v): acc for v, (acc, _) in candidates.items()}


def choose_mask_dilation(
    model, plain_logits, validation: ValidationSplit, config: dict, run: RunState
) -> tuple[dict, torch.Tensor, dict]:
    """The widest inference dilation of ``MASK_DILATION_CHOICES`` that validation allows.

    Validation masks are CellaVision masks, nearly always whole, so the most accurate
    dilation there is not the one to ship: elsewhere the mask can stop short of the
    cell's edge, and only a wide margin gives the rest back. The widest dilation whose
    validation group accuracy is within ``MASK_DILATION_TOLERANCE`` of the best is kept.

    Returns:
        (config with that ``mask_dilation``, its validation logits, validation accuracies per choice).
    """
    candidates = {}
    for working_pixels in MASK_DILATION_CHOICES:
        kernel = scaled_pixels(working_pixels, config["scale"])
        trial = {**config, "mask_dilation": kernel}
        logits = plain_logits if kernel == config["mask_dilation"] else validation.logits(model, trial)
        candidates[kernel] = (accuracies(logits, validation.rows), logits)
        run.log(f"validation with mask dilation {kernel}: {candidates[kernel][0]}")
    best = max(acc["acc8"] for acc, _ in candidates.values())
    kernel = max(k for k, (acc, _) in candidates.items() if acc["acc8"] >= best - MASK_DILATION_TOLERANCE)
    return (
        {**config, "mask_dilation": kernel},
        candidates[kernel][1],
        {str(k): acc for k, (acc, _) in candidates.items()},
    )


def release(
    settings: ClassifierPhase, config: dict, run: RunState, data: TrainingData, weights: dict
) -> None:
    """Final weights -> BatchNorm statistics, mask dilation, flip views, temperature and review
    threshold, all chosen on validation -> release."""
    model = build_classifier(config["arch"]).to(memory_format=torch.channels_last)
    model.load_state_dict(weights)
    validation = data.validation
    plain_logits = validation.logits(model, config)
    recalibrated = copy.deepcopy(model)
    calibration_idx = np.sort(
        np.random.default_rng(7).choice(data.train_idx, BN_CALIBRATION_IMAGES, replace=False)
    )
    recalibrate_batchnorm(
        recalibrated,
        data.cache,
        calibration_idx,
        centres_of(data.cache, calibration_idx),
        config,
        keep=freeze_before(recalibrated, settings.train_from),
    )
    recalibrated_logits = validation.logits(recalibrated, config)
    as_trained = accuracies(plain_logits, validation.rows)
    after = accuracies(recalibrated_logits, validation.rows)
    bn_recalibrated = (after["acc11"], after["acc8"]) > (as_trained["acc11"], as_trained["acc8"])
    run.log(
        f"validation, BatchNorm as trained: {as_trained}; recalibrated: {after}; keep recalibrated: {bn_recalibrated}"
    )
    if bn_recalibrated:
        model, plain_logits = recalibrated, recalibrated_logits
    dilation_validation = None
    if settings.mask_augment:
        config, plain_logits, dilation_validation = choose_mask_dilation(
            model, plain_logits, validation, config, run
        )
    views, logits, view_accuracies = choose_classifier_views(
        model, plain_logits, validation, config, run, settings.view_choices
    )
    temperature = fit_temperature(logits, data.allowed[data.val_idx])
    fine = torch.softmax(logits / temperature, 1).numpy()
    threshold = review_threshold(
        fine, np.array([r.group for r in validation.rows]), data.cache.source[data.val_idx]
    )
    run.log(
        f"temperature {temperature:.3f}, review threshold {threshold:.2f} (validation, {len(data.val_idx)} images)"
    )
    config = {
        **config,
        "temperature": temperature,
        "review_threshold": threshold,
        "tta_views": views,
        "tta_validation": view_accuracies,
        **({"mask_dilation_validation": dilation_validation} if dilation_validation else {}),
        "training": {
            "batch_size": settings.batch_size,
            "weight_decay": settings.weight_decay,
            "bn_recalibrated": bn_recalibrated,
            "bn_validation": {"as_trained": as_trained, "recalibrated": after},
            "phases": run.phases(),
        },
    }
    digest = save_released(model.state_dict(), Path(settings.out), config)
    run.log(f"released to {repo_relative(settings.out)} sha256={digest}")
