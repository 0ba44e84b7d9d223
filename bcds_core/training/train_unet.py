"""Train the U-Net from scratch on derived PBC masks and the expert masks.

Targets: GrabCut masks of the central cell (``derived_masks``) for a
class-balanced sample of the training split, screened by ``mask_is_plausible``,
plus the 35 expert masks not held out, oversampled. Augmentation as in classic
few-label U-Net work: any rotation, flips, zoom, elastic deformation, colour
jitter; with ``stain_augment``, also random stain densities and focus
(``augment.stain_jitter``, ``augment.random_blur``), so that the pale cytoplasm
of other labs' stains and a softer microscope still count as cell.
Resumable: rerun the same command after a stop.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from segmentation_models_pytorch.losses import DiceLoss, SoftBCEWithLogitsLoss

from bcds_core.augment import colour_jitter, elastic_offsets, random_blur, random_geometry, stain_jitter
from bcds_core.flip_tta import averaged_logits
from bcds_core.image_cache import cache_dir, open_cache
from bcds_core.input_tensors import crop_grid, normalise_pixels
from bcds_core.paths import DATASET_DIR, expert_masks_root, repo_relative
from bcds_core.preprocessing import WORKING_SCALE, canvas_side
from bcds_core.segmentation.derived_masks import mask_is_plausible
from bcds_core.segmentation.expert_masks import held_out_names, read_mask_folder
from bcds_core.segmentation.mask_overlap import mask_overlap
from bcds_core.segmentation.unet import DEFAULT_UNET_CONFIG, build_unet, slide_balanced
from bcds_core.splits import read_split_csv
from bcds_core.training.epoch_loop import EpochLoop
from bcds_core.training.run_state import RunState
from bcds_core.training.settings import UNetPhase, phase_settings
from bcds_core.weights_io import save_released

#: Side of the working-scale canvases the U-Net trains on (the cache's at the working scale).
CANVAS_SIDE = canvas_side(WORKING_SCALE)
EXPERT_REPEATS = 10
#: Stain augmentation of the U-Net: blur up to this sigma, canvas pixels at the working scale
#: (about 2x in the original); stain densities as ``--stain-range`` says.
MAX_BLUR_SIGMA = 1.5


def _balanced_indices(cache, split: str, per_label: int, seed: int) -> np.ndarray:
    """Up to ``per_label`` images per file label whose derived mask is plausible."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(cache.rows):
        if row.split == split and row.label and cache.mask_found[i]:
            by_label[row.label].append(i)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in sorted(by_label):
        candidates = rng.permutation(by_label[label])
        kept = [i for i in candidates[: per_label * 2] if mask_is_plausible(cache.masks[i] > 0)]
        chosen.extend(kept[:per_label])
    return np.array(sorted(chosen))


def _expert_arrays(names_filter) -> tuple[np.ndarray, np.ndarray]:
    pairs = [p for p in read_mask_folder(expert_masks_root()) if names_filter(p.name)]
    images = np.stack([cv2.resize(p.rgb, (CANVAS_SIDE, CANVAS_SIDE), cv2.INTER_AREA) for p in pairs])
    masks = np.stack(
        [cv2.resize(p.mask.astype(np.uint8), (CANVAS_SIDE, CANVAS_SIDE), cv2.INTER_NEAREST) for p in pairs]
    )
    return images, masks


def _batch(images: np.ndarray, masks: np.ndarray, config: dict, augment: bool, stain_range: float = 0.0):
    """Normalised NCHW images and N1HW targets at the U-Net's input side.

    ``stain_range`` (with ``augment``; 0: none): random stain densities, each x1 +- it, and focus
    before the colour jitter.
    Images are first balanced to the config's slide colour, as the masker balances them.
    """
    x = torch.from_numpy(np.stack(slide_balanced(list(images), config))).permute(0, 3, 1, 2).float() / 255.0
    y = torch.from_numpy(np.ascontiguousarray(masks)).float().unsqueeze(1)
    batch = x.shape[0]
    centres = torch.full((batch, 2), CANVAS_SIDE / 2 - 0.5)
    geometry = {}
    if augment:
        if stain_range:
            x = random_blur(stain_jitter(x, scale_sigma=stain_range), max_sigma=MAX_BLUR_SIGMA)
        x = colour_jitter(x)
        centres = centres + (torch.rand(batch, 2) * 2 - 1) * 12
        geometry = random_geometry(batch, (0.75, 1.3))
    grid = crop_grid(centres, CANVAS_SIDE, CANVAS_SIDE, config["input_side"], **geometry)
    if augment:
        grid = elastic_offsets(grid)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="border")
    y = (F.grid_sample(y, grid, align_corners=False) > 0.5).float()
    return normalise_pixels(x, config).contiguous(memory_format=torch.channels_last), y


def _iou(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Mean IoU of the masks the logits give (an image with neither mask scores 0)."""
    return float(mask_overlap(logits > 0, target > 0.5, empty=0.0)[0].mean())


def choose_mask_views(
    model, config: dict, images: np.ndarray, masks: np.ndarray
) -> tuple[int, dict[str, float]]:
    """How many flip views to average (1, 2 or 4): the fewest with the best IoU on ``images``.

    Args:
        model: the U-Net in eval mode.
        config: its config (input side, normalisation).
        images, masks: validation images and masks at cache scale (derived masks only:
            the held-out expert masks are never used to choose).

    Returns:
        (views, mean IoU of each choice keyed by the number of views).
    """
    x, y = _batch(images, masks, config, augment=False)
    with torch.inference_mode():
        scores = {str(v): round(_iou(averaged_logits(model, x, v, dense=True), y), 4) for v in (1, 2, 4)}
    return int(max(scores, key=lambda v: (scores[v], -int(v)))), scores


def validation_indices(cache) -> np.ndarray:
    """The derived validation masks that choose the checkpoint and the views."""
    return _balanced_indices(cache, "val", 20, seed=1)


def train(args: argparse.Namespace) -> None:
    """Train the U-Net as the command line gives it; release the epoch best on derived validation masks."""
    settings = phase_settings(UNetPhase, args)
    torch.set_num_threads(settings.threads)
    torch.manual_seed(0)
    run = RunState(Path(settings.run_dir))
    run.record_phase(settings.recorded(), None)
    config = dict(DEFAULT_UNET_CONFIG)
    # what training and the checkpoint's choice read; the release names the slide colour either way,
    # so the masker balances what it reads (the shipped U-Net trained on images as they came)
    seen = config if settings.train_slide_balance else {**config, "slide_rgb": None}
    cache = open_cache(cache_dir(WORKING_SCALE), read_split_csv(DATASET_DIR / "pbc_split.csv"))
    train_idx = _balanced_indices(cache, "train", settings.per_label, seed=0)
    val_idx = validation_indices(cache)
    expert_all = [p.name for p in read_mask_folder(expert_masks_root())]
    held_out = held_out_names(expert_all)
    expert_x, expert_y = _expert_arrays(lambda name: name not in held_out)
    val_expert_x, val_expert_y = _expert_arrays(lambda name: name in held_out)
    run.log(
        f"U-Net: {len(train_idx)} derived PBC masks + {len(expert_x)} expert x{EXPERT_REPEATS}; "
        f"val {len(val_idx)} derived + {len(val_expert_x)} held-out expert ({sorted(held_out)})"
    )
    model = build_unet(config).to(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    pool_x = np.concatenate([cache.images[train_idx], np.repeat(expert_x, EXPERT_REPEATS, 0)])
    pool_y = np.concatenate([cache.masks[train_idx], np.repeat(expert_y, EXPERT_REPEATS, 0)])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimiser,
        max_lr=settings.lr,
        total_steps=settings.epochs * (len(pool_x) // settings.batch_size),
        pct_start=0.1,
    )
    loop = EpochLoop(run, model, optimiser, scheduler, settings.batch_size, shuffle_seed=100)
    start_epoch, kept = loop.resume()
    best = float(kept.get("best", -1.0))
    dice, bce = DiceLoss("binary"), SoftBCEWithLogitsLoss()
    stain_range = settings.stain_range if settings.stain_augment else 0.0

    def loss_of(chosen: np.ndarray) -> torch.Tensor:
        x, y = _batch(pool_x[chosen], pool_y[chosen], seen, augment=True, stain_range=stain_range)
        logits = model(x)
        return dice(logits, y) + bce(logits, y)

    for epoch in range(start_epoch, settings.epochs):
        trained = loop.train_epoch(epoch, np.arange(len(pool_x)), loss_of)
        model.eval()
        with torch.inference_mode():
            xv, yv = _batch(cache.images[val_idx], cache.masks[val_idx], seen, augment=False)
            val_pbc = _iou(model(xv), yv)
            xe, ye = _batch(val_expert_x, val_expert_y, seen, augment=False)
            val_expert = _iou(model(xe), ye)
        if val_pbc > best:  # held-out expert masks are reported, never used to choose
            best = val_pbc
            torch.save(model.state_dict(), run.directory / "best.pt")
        loop.end_epoch(
            trained, {"val_iou_derived": val_pbc, "val_iou_expert_held_out": val_expert}, best=best
        )
    best_state = torch.load(run.directory / "best.pt", weights_only=True)
    model.load_state_dict(best_state)
    config["tta_views"], config["tta_validation_iou"] = choose_mask_views(
        model.eval(), seen, cache.images[val_idx], cache.masks[val_idx]
    )
    run.log(
        f"flip views {config['tta_views']} (derived validation IoU by views: {config['tta_validation_iou']})"
    )
    config["training"] = {
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "lr": settings.lr,
        "stain_augment": settings.stain_augment,
        "stain_range": stain_range or None,
        "train_slide_balance": settings.train_slide_balance,
        "derived_masks": len(train_idx),
        "expert_trained_on": sorted(n for n in expert_all if n not in held_out),
        "expert_held_out": sorted(held_out),
    }
    digest = save_released(best_state, Path(settings.out), config)
    run.log(f"released to {repo_relative(settings.out)} sha256={digest}")
