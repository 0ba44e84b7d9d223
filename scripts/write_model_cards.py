"""Render weights/<model>/MODEL_CARD.md from config.json, metrics.json and the evaluation files.

Usage: .venv/bin/python scripts/write_model_cards.py
Run after training and after `evaluate ... --out reports/evaluation` and `evaluate-masks`.
"""

from __future__ import annotations

import csv
import json
import platform

from bcds_core.paths import REPORTS_DIR, WEIGHTS_DIR

EVALUATION = REPORTS_DIR / "evaluation"


def _load(path):
    return json.loads(path.read_text()) if path.exists() else {}


def _history_table(history: list[dict], keys: list[str]) -> list[str]:
    lines = ["| epoch | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for row in history:
        lines.append(
            f"| {row['epoch']} | " + " | ".join(f"{row.get(k, float('nan')):.4f}" for k in keys) + " |"
        )
    return lines


def _report_table(report: dict) -> list[str]:
    lines = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, row in report.items():
        if isinstance(row, dict):
            lines.append(
                f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {int(row['support'])} |"
            )
    return lines


def _confusion(name: str) -> list[str]:
    path = EVALUATION / f"confusion_{name}.csv"
    if not path.exists():
        return []
    rows = list(csv.reader(path.open()))
    return ["| " + " | ".join(rows[0]) + " |", "|---" * len(rows[0]) + "|"] + [
        "| " + " | ".join(r) + " |" for r in rows[1:]
    ]


def classifier_card() -> str:
    folder = WEIGHTS_DIR / "classifier"
    config, metrics = _load(folder / "config.json"), _load(folder / "metrics.json")
    training = config.get("training", {})
    seconds = sum(h.get("seconds", 0) for h in training.get("history", []))
    lines = [
        "# Cell classifier (11 fine classes, 8 groups as sums)",
        "",
        f"- Architecture: torchvision `{config['arch']}` (weights=None: trained from scratch here), 11 outputs.",
        f"- Input: the U-Net-masked cell, {config['input_side']}x{config['input_side']} px crop at half the CellaVision "
        "pixel size (256 original px), centred on the mask; outside the dilated mask = dataset mean.",
        f"- Calibration: temperature {config.get('temperature', 1):.3f} fitted on the validation split; "
        f"review threshold {config.get('review_threshold', 0.5):.2f} on the fine-class confidence.",
        f"- Weights: `model.safetensors` (fp16), sha256 `{config['weights_sha256']}`.",
        "",
        "## Data and split",
        "PBC dataset (CC BY 4.0), `dataset/pbc_split.csv`: deterministic, stratified by file label, by content hash "
        "(75 % train, 10 % validation, 15 % test; byte-identical duplicates share a split). The test split was "
        "never trained on and not used for any choice.",
        "",
        "## Training",
        f"- {training.get('epochs')} epochs, batch {training.get('batch_size')}, AdamW lr {training.get('lr')} "
        f"(one-cycle), weight decay {training.get('weight_decay')}; loss: -log P(label set) with class weights "
        "(inverse square root of frequency); NEUTROPHIL/IG-only images train through their group's sum.",
        "- Augmentation: any rotation, flips, zoom 0.9-1.1, shifts, mask dilation 0-4 px, brightness, contrast, "
        "saturation and per-channel colour gains (against the second JPEG pipeline's colour balance).",
        f"- Hardware: {platform.processor() or 'x86-64'} CPU, 2 cores, float32 channels_last; "
        f"{seconds / 3600:.2f} h of training.",
        "- Choice of ResNet-18 over ResNet-34: measured here at 128 px, batch 32, 2 threads, ResNet-18 trains "
        "24 img/s and ResNet-34 17 img/s; in the session's CPU budget ResNet-18 got 9 epochs where ResNet-34 "
        "would have had 6. An accuracy comparison of the two is still to do.",
        "",
        "## Validation history",
        *_history_table(training.get("history", []), ["loss", "val_acc8", "val_acc11"]),
        "",
        "## Test-split metrics (`python -m bcds_core evaluate ../shared/data/pbc --split test --json`)",
        "```json",
        json.dumps(metrics, indent=2),
        "```",
        "",
        "### Per-class (11)",
        *_report_table(_load(EVALUATION / "report_11.json")),
        "",
        "### Per-group (8)",
        *_report_table(_load(EVALUATION / "report_8.json")),
        "",
        "### Confusion matrix (11; rows true, columns predicted)",
        *_confusion("11"),
        "",
        "### Confusion matrix (8)",
        *_confusion("8"),
        "",
        "Training log: `train.log` beside this card.",
    ]
    return "\n".join(lines) + "\n"


def unet_card() -> str:
    folder = WEIGHTS_DIR / "unet"
    config, metrics = _load(folder / "config.json"), _load(folder / "metrics.json")
    training = config.get("training", {})
    lines = [
        "# U-Net: mask of the cell the image is about",
        "",
        f"- segmentation_models_pytorch `{config['arch']}`, encoder `{config['encoder_name']}` (encoder_weights=None), "
        f"depth {config['encoder_depth']}, decoder {config['decoder_channels']}; input: the whole image resized to "
        f"{config['input_side']}x{config['input_side']}; mask = probability > {config['threshold']}, resized back.",
        f"- Weights: `model.safetensors` (fp16), sha256 `{config['weights_sha256']}`.",
        "",
        "## Data",
        f"- {training.get('derived_masks')} PBC training-split images (100 per fine class) with masks derived by "
        "GrabCut seeded on the central nucleus (`bcds_core/segmentation/derived_masks.py`, screened by "
        "`mask_is_plausible`): only the central cell is foreground.",
        f"- {len(training.get('expert_trained_on', []))} of the 50 expert masks (x10 oversampled); held out, never "
        f"trained on: {', '.join(training.get('expert_held_out', []))}.",
        "",
        "## Training",
        f"- {training.get('epochs')} epochs, batch {training.get('batch_size')}, AdamW lr {training.get('lr')} "
        "(one-cycle), loss Dice + BCE (smp.losses); augmentation: any rotation, flips, zoom 0.75-1.3, shifts, "
        "elastic deformation, colour jitter. CPU, 1 thread, beside the classifier's training.",
        "",
        "## Metrics",
        "`python -m bcds_core evaluate-masks ../shared/data/wbc_masks_cellavision --json`:",
        "```json",
        json.dumps(metrics, indent=2),
        "```",
        "`not_trained_on` is the honest figure (15 held-out expert masks).",
        "",
        "Known failure cases: two touching cells of the same kind can be masked together; a neighbour's edge "
        "can be included; the expert set's higher magnification and pale cytoplasm lower the IoU. See "
        "`docs/masks.md` and `docs/mask_gallery.png`.",
        "",
        "Training log: `train.log` beside this card.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (WEIGHTS_DIR / "unet" / "MODEL_CARD.md").write_text(unet_card())
    if (WEIGHTS_DIR / "classifier" / "config.json").exists():
        (WEIGHTS_DIR / "classifier" / "MODEL_CARD.md").write_text(classifier_card())
