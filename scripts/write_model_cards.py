"""Render weights/<model>/MODEL_CARD.md from config.json, metrics.json and the evaluation files.

Usage: .venv/bin/python -m scripts.write_model_cards
Run after training and after `evaluate ... --out reports/evaluation` and `evaluate-masks`.
"""

from __future__ import annotations

import csv
import json

from bcds_core.classifier.abnormal_thresholds import SCREEN_FLAG_BUDGET
from bcds_core.commands.train_unet import DEFAULT_STAIN_RANGE
from bcds_core.paths import REPO_ROOT, REPORTS_DIR, WEIGHTS_DIR
from bcds_core.weights_io import read_config
from scripts.bn_adaptation import MEASURED_WITH

EVALUATION = REPORTS_DIR / "evaluation"


def _load(path):
    return json.loads(path.read_text()) if path.exists() else {}


def shipped_versions() -> dict[str, str]:
    """The shipped models, named as ``report.model_versions`` names an analyzer's."""
    return {
        name: read_config(WEIGHTS_DIR / folder)["weights_sha256"][:16]
        for name, folder in (("classifier", "classifier"), ("U-Net", "unet"))
    }


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


def _views_line(config: dict) -> str:
    found = config.get("tta_validation", {})
    return "; ".join(
        f"{views} view(s): acc8 {acc['acc8']:.4f}, acc11 {acc['acc11']:.4f}" for views, acc in found.items()
    )


def _on_unet_masks(phase: dict) -> bool:
    """Whether a phase trained on the released U-Net's masks; phases that name no source used derived masks."""
    return phase.get("mask_source") == "unet"


def _masks_of(phase: dict) -> str:
    return "the released U-Net's masks" if _on_unet_masks(phase) else "derived masks"


def _schedule(phases: list[dict]) -> str:
    """Phases in words: each one-cycle or weight averaging, each from the previous phase's final weights."""
    return ", then from those weights ".join(
        (
            f"the uniform mean of the weights of {len(p['ingredients'])} releases (a model soup)"
            if p.get("soup")
            else f"{p['epochs']} epochs at a constant lr {p['lr']} after a one-epoch warm-up, averaging the weights "
            "of every epoch's end (stochastic weight averaging)"
            if p.get("average_weights")
            else f"{p['epochs']} epochs of one-cycle (peak lr {p['lr']})"
        )
        + (f" on {_masks_of(p)}" if _on_unet_masks(p) else "")
        + (f" of {' and '.join(p['sources'])}" if p.get("sources") else "")
        + (" with stain augmentation" if p.get("stain_augment") else "")
        + (
            f" and camera degradation ({p['camera_share']:.0%} of samples, up to {p['camera_max_factor']}x per side)"
            if p.get("camera_augment")
            else ""
        )
        + (" under bfloat16 autocast" if p.get("bf16") else "")
        + (f", the group term weighted {p['group_weight']} more" if p.get("group_weight") else "")
        + (f", seed {p['seed']}" if p.get("seed") else "")
        for p in phases
    )


def _soup_branches(soup: dict) -> tuple[list[dict], list[list[dict]]]:
    """A soup's shared start (the phases all its ingredients begin with) and each ingredient's phases after it."""
    branches = [i["phases"] for i in soup["ingredients"]]
    shared = []
    for phases in zip(*branches, strict=False):
        if any(p != phases[0] for p in phases):
            break
        shared.append(phases[0])
    return shared, [b[len(shared) :] for b in branches]


def _trained_phases(phases: list[dict]) -> list[dict]:
    """Every phase that trained, once: a soup stands for its ingredients' phases, their shared start once."""
    found = []
    for phase in phases:
        for trained in (
            [q for i in phase["ingredients"] for q in _trained_phases(i["phases"])]
            if phase.get("soup")
            else [phase]
        ):
            if trained not in found:
                found.append(trained)
    return found


def _soups(phases: list[dict]) -> list[dict]:
    """Every soup behind a release, the last one first, then those among its ingredients."""
    found = []
    for phase in reversed(phases):
        if phase.get("soup"):
            found += [phase, *(s for i in phase["ingredients"] for s in _soups(i["phases"]))]
    return found


def _branch_end(last: dict, trained: list[dict]) -> str:
    """A soup branch's last step by its number, or, where the branch is a soup itself, the mean of its own."""
    if last.get("soup"):
        return "the mean of " + " and ".join(
            _branch_end(b[-1], trained) for b in _soup_branches(last)[1] if b
        )
    return f"step {trained.index(last) + 1} (`runs/{last['run']}`)"


def _soup_note(phases: list[dict]) -> list[str]:
    """Which listed phases (numbered as in ``_trained_phases``) are each soup's branches."""
    trained = _trained_phases(phases)
    notes = []
    for soup in _soups(phases):
        shared, branches = _soup_branches(soup)
        ends = "; ".join(_branch_end(b[-1], trained) for b in branches if b)
        start = f"step {trained.index(shared[-1]) + 1}'s final weights" if shared else "one start"
        notes.append(
            f"A model soup averages uniformly the final weights of the branches from {start} that end at "
            f"{ends}, with the BatchNorm statistics chosen as above. Steps count the trainings behind "
            "this release in order; `docs/training.md` and the recipes name phases by the session's count."
        )
    return notes


def _phases(training: dict) -> str:
    """The schedule in words; a soup as its ingredients' shared start, each branch, and their mean (a
    branch that is a soup itself, in the same words within it)."""
    phases = training.get("phases", [])
    if not phases or not phases[-1].get("soup"):
        return _schedule(phases)
    shared, branches = _soup_branches(phases[-1])
    lead = f"{_schedule(shared)}; then, from those weights, " if shared else "from one start, "
    return (
        f"{lead}{len(branches)} runs: "
        + "; ".join(
            f"({chr(97 + k)}) {_phases({'phases': b}) if b and b[-1].get('soup') else _schedule(b)}"
            for k, b in enumerate(branches)
        )
        + "; released: the uniform mean of their final weights (a model soup)"
    )


def _ingredient_name(ingredient: str | dict) -> str:
    """A soup's ingredient in words: the release of a recipe, or a named release (commit and hash)."""
    if isinstance(ingredient, dict):
        return (
            f"the release of commit {ingredient['git_commit'][:12]} (weights sha256 "
            f"{ingredient['weights_sha256'][:16]}...: {ingredient['why']})"
        )
    return f"the release of `{ingredient}`"


def _recipe_lines(training: dict) -> list[str]:
    """The versioned recipe whose last phase made this release, and the one command that runs it."""
    phases = training.get("phases", [])
    last_run = phases[-1]["run"] if phases else None
    for path in sorted((REPO_ROOT / "recipes").glob("*.json")):
        recipe = json.loads(path.read_text())
        if recipe["phases"][-1]["run"] == last_run:
            start = recipe.get("start") or {}
            if recipe.get("ingredients"):
                named = " and ".join(_ingredient_name(i) for i in recipe["ingredients"])
                origin = f"the mean of {named}; the command runs each recipe first"
            elif start:
                origin = (
                    f"from {start['why']} (commit {start['git_commit'][:12]}, weights sha256 "
                    f"{start['weights_sha256'][:16]}...)"
                )
            else:
                origin = "from scratch"
            return [
                f"- Recipe: `recipes/{path.name}` ({recipe['name']}), {origin}; one command: "
                f"`python -m bcds_core train-classifier --recipe recipes/{path.name} --out runs/{path.stem}_again` "
                "(resumable; the caches of `docs/training.md` must exist; the recipe refuses an --out holding a "
                "release its own run did not make, such as `weights/classifier`). Training on a CPU is not "
                "bit-exact: compare the new release's validation figures with this card's, not its hash. "
                "Every phase behind the release is listed under Validation history.",
            ]
    return []


def _unet_command(training: dict, stain_range: float | None) -> str:
    """The one command that trains this U-Net: its versioned recipe where one matches its settings."""
    for path in sorted((REPO_ROOT / "recipes").glob("unet_*.json")):
        (phase,) = json.loads(path.read_text())["phases"]
        args = phase["args"]
        if (
            args.get("epochs"),
            args.get("stain_augment", False),
            args.get("train_slide_balance", True),
        ) == (
            training.get("epochs"),
            bool(training.get("stain_augment")),
            # the shipped U-Net trained before the setting was recorded: on images as they came
            training.get("train_slide_balance", False),
        ) and (not training.get("stain_augment") or args.get("stain_range") == stain_range):
            return (
                f"- Recipe: `recipes/{path.name}`; one command: `python -m bcds_core train-unet --recipe "
                f"recipes/{path.name} --out runs/{phase['run']}/release` (after `build-cache` at the working "
                "scale; resumable, and refused if resumed under other settings)."
            )
    return (
        "- One command: `python -m bcds_core train-unet"
        + (f" --stain-augment --stain-range {stain_range}" if training.get("stain_augment") else "")
        + ("" if training.get("train_slide_balance", False) else " --no-train-slide-balance")
        + f" --epochs {training.get('epochs')}` (after `build-cache` at the working scale; resumable)."
    )


def _bn_choice(training: dict) -> str:
    found = training.get("bn_validation", {})
    kept = "the recomputed ones" if training.get("bn_recalibrated") else "the statistics as trained"
    scores = "; ".join(f"{name}: acc8 {a['acc8']:.4f}, acc11 {a['acc11']:.4f}" for name, a in found.items())
    return f"{kept} ({scores})"


def _rgb(values) -> str:
    return " ".join(f"{v:.0f}" for v in values)


def _colour_check() -> list[str]:
    """The colour-balance check (scripts/colour_check.py) as a table, if it was run."""
    report = _load(REPORTS_DIR / "colour_check.json")
    if not report:
        return []
    lines = [
        "### Colour balance: the cell or the JPEG pipeline?",
        f"`scripts/colour_check.py`: {report['per_class']} test images per label; slide colour (median border "
        f"RGB) and accuracy as the images are and after per-channel gains that move every slide to the common "
        f"colour {_rgb(report['target_slide_rgb'])}. 8-group accuracy: "
        f"{report['accuracy_8_as_is']:.4f} as is, {report['accuracy_8_rebalanced']:.4f} rebalanced. "
        "Accuracy is on the fine class, and on the group for the NEUTROPHIL and IG images, whose bluish slide "
        "marks the other JPEG pipeline: their accuracy barely moves when they are given the common colour, so "
        "the model leans little on the pipeline's colour.",
        "",
        "| label | n | slide RGB | accuracy as is | rebalanced |",
        "|---|---|---|---|---|",
    ]
    for label, row in report["classes"].items():
        lines.append(
            f"| {label} | {row['n']} | {_rgb(row['slide_rgb'])} | {row['accuracy_as_is']:.3f} | "
            f"{row['accuracy_rebalanced']:.3f} |"
        )
    return [*lines, ""]


def _architecture_comparison() -> list[str]:
    """ResNet-18 against the published ResNet-34 at about equal CPU time (scripts/compare_architectures.py)."""
    runs = _load(WEIGHTS_DIR / "classifier" / "architecture_comparison.json").get("runs", [])
    lines = [
        "- Choice of ResNet-18 over the ResNet-34 of the published method: measured here at 128 px, batch 32, "
        "2 threads, ResNet-18 trains 24 img/s and ResNet-34 17 img/s (inference 15 ms and 26 ms per image), so "
        "in the same CPU time ResNet-34 gets about 0.7 times the epochs.",
    ]
    if not runs:
        return lines
    lines += [
        "- Accuracy at about equal CPU time (`scripts/compare_architectures.py`): each trained from scratch with "
        "the same data, augmentation, one-cycle schedule shape and peak lr, epochs in the ratio of the "
        "throughputs above; validation split, at release (BatchNorm statistics and flip views chosen on "
        "validation as for the product). A short budget, far below the released model's, measured once each:",
        "",
        "| run | arch | epochs | peak lr | training min | val acc8 | val acc11 |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        found = run["validation_release"]
        lines.append(
            f"| `runs/{run['run']}` | {run['arch']} | {run['epochs']} | {run['peak_lr']} | "
            f"{run['training_minutes']} | {found['acc8']:.4f} | {found['acc11']:.4f} |"
        )
    return lines


def _flip_views_line(config: dict) -> str:
    """How many flipped views the answer averages, and the validation figures the release chose by."""
    views = config.get("tta_views", 1)
    if len(config.get("tta_validation", {})) == 1:
        return (
            f"- Test-time augmentation: none; the release step compared no flipped views (`--view-choices {views}`; "
            "earlier phases at 192 and 256 px found that flips no longer help, `docs/training.md`), "
            f"validation with the plain view: {_views_line(config)}. The heat maps explain that view."
        )
    flips = (
        "(flips about the axes, then about the diagonal, which together give every right-angle rotation; "
        f"`bcds_core/flip_tta.py`), chosen on validation: {_views_line(config)}."
    )
    if views == 1:
        return (
            f"- Test-time augmentation: none; the answer is the single plain view rather than flipped views {flips} "
            "The heat maps explain that view."
        )
    return (
        f"- Test-time augmentation: the answer averages the logits of {views} flipped views {flips} "
        "The heat maps explain the single plain view."
    )


def _answer_checks_lines(config: dict) -> list[str]:
    checks = config.get("answer_checks")
    if not checks:
        return []
    return (
        [
            f"- Answer checks (`fit-answer-checks`): familiarity threshold {checks['familiarity_threshold']:.2f} (Mahalanobis "
            "distance of the pooled features to the nearest class centre, shared Ledoit-Wolf covariance; 99th percentile "
            f"of validation); conformal quantile {checks['conformal_quantile']:.4f} for {checks['coverage']:.0%} group "
            "coverage (split conformal, adaptive prediction sets without random tie-breaking, on validation).",
        ]
        + (
            [
                "- Abnormal-group thresholds (answer or flag only at or above; fitted on the DeepAPL validation and test patients: "
                "blast keeps 92 % of their blasts, the others let at most 1 % of their normal cells through): "
                + ", ".join(f"{group} {value:.3f}" for group, value in checks["abnormal_thresholds"].items())
                + ". ROC of the blast probability on the test patients: `reports/sources/blast_roc.png`."
            ]
            if "abnormal_thresholds" in checks
            else []
        )
        + (
            [
                f"- Abnormal-exclusion bar {checks['abnormal_exclusion']:.2f}: a normal answer is `ok` only where the "
                "four abnormal groups together stay below it (the highest bar at which the same patients' confident "
                "normal answers are 97 % right; `docs/robustness.md`)."
            ]
            if "abnormal_exclusion" in checks
            else []
        )
        + (
            [
                f"- Screening bar {checks['abnormal_screen_bar']:.3f}: the leukaemia screen also counts a cell answered "
                "as another group where its blast and abnormal-promyelocyte probabilities together reach it (reached by "
                f"{SCREEN_FLAG_BUDGET * 100:.0f} % of the same patients' normal cells; `docs/robustness.md`)."
            ]
            if checks.get("abnormal_screen_bar") is not None
            else []
        )
    )


def _source_counts() -> list[str]:
    from bcds_core.splits import read_split_csv
    from bcds_core.training_sources import SOURCES

    lines = ["", "| source | train | validation | test |", "|---|---|---|---|"]
    for name, source in SOURCES.items():
        rows = read_split_csv(source.split_csv)
        counts = [sum(r.split == s for r in rows) for s in ("train", "val", "test")]
        lines.append(f"| {name} | {counts[0]:,} | {counts[1]:,} | {counts[2]:,} |")
    return lines + [""]


def _sources_section() -> list[str]:
    """Per-source results through the product (``scripts/evaluate_sources.py``)."""
    found = _load(REPORTS_DIR / "sources" / "metrics.json")
    if not found:
        return []
    lines = [
        "## Results per source (`python -m scripts.evaluate_sources`, through the product pipeline)",
        "",
        "| source | images | group accuracy | fine accuracy | answered `ok` | `ok` answers right | review | rejected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in found.items():
        fine = f"{m['accuracy_11']:.1%}" if m.get("accuracy_11") else "-"
        ok_right = f"{m['ok_right']:.1%}" if m.get("ok_right") is not None else "-"
        lines.append(
            f"| {name} | {m['n']:,} | {m['accuracy_8']:.1%} | {fine} | {m['ok_share']:.1%} | {ok_right} | "
            f"{m['n_review']} | {m['n_rejected']} |"
        )
    deepapl = found.get("deepapl_test_patients", {})
    if "abnormal" in deepapl:
        a, screen = deepapl["abnormal"], deepapl["screening"]
        lines += [
            "",
            f"DeepAPL test patients, cells: {a['blasts']} blasts, {a['blasts_caught']:.1%} answered or flagged as blast; "
            f"{a['normal_cells']} normal cells, {a['normal_flagged']:.1%} answered or flagged as any abnormal group "
            "(the abnormal thresholds are fitted on these patients and the validation ones: the held-out figures are "
            "the cross-validation's below).",
            f"Patients: leukaemia suspected in {screen['suspected']} of {screen['patients']} "
            f"({screen['with_blasts_suspected']} of the {screen['with_blasts']} whose labelled cells hold at least two "
            "blasts or abnormal promyelocytes); APL vs other AML AUROC of "
            f"`apl_score`: {screen['apl_vs_aml_auroc']:.2f}.",
        ]
    if "healthy_screening" in found.get("pbc_test", {}):
        h = found["pbc_test"]["healthy_screening"]
        lines.append(
            f"Healthy batches of 100 PBC test cells: leukaemia suspected in {h['suspected']} of {h['batches']}."
        )
    return lines + ["", "Risk-coverage per source: `reports/sources/risk_coverage.png`.", ""]


def _screening_cv_section() -> list[str]:
    """The patient-grouped cross-validation of the abnormal-cell checks and the screen (``scripts/screening_cv.py``)."""
    found = _load(REPORTS_DIR / "screening_cv.json")
    if not found:
        return []
    mean, sd, roc = found["mean"], found["sd"], found["blast_roc_all_held_out_patients"]
    aurocs = [r["apl_vs_aml_auroc"] for r in found["repeats"]]

    def spread(key: str) -> str:
        return f"{mean[key]:.1%} (sd {sd[key]:.1%})"

    return [
        "## Abnormal cells: patient-grouped cross-validation (`python -m scripts.screening_cv`)",
        f"The {found['patients']} DeepAPL discovery patients the network never trained on (its validation and test "
        f"patients: {found['cells']['blasts']:,} blasts, {found['cells']['normal']:,} normal cells) in "
        f"{found['folds']} folds by patient, stratified by diagnosis, drawn {len(found['repeats'])} times; the abnormal "
        "thresholds and exclusion bar fitted on the other folds as the release fits them on its 24, "
        "measured on the held-out patients. The network itself is not cross-validated (one training per fold). "
        "Rates are the mean of the repeats (sd over repeats).",
        "",
        f"- Blasts caught: {spread('blasts_caught')}; normal cells flagged: {spread('normal_flagged')} "
        f"(as blast: {spread('normal_flagged_as_blast')}).",
        f"- Confident normal answers below the exclusion bar right: {spread('confident_normal_right')}.",
        "- Leukaemia suspected in "
        + ", ".join(f"{r['patients_suspected']}" for r in found["repeats"])
        + f" of {found['patients']} patients (per repeat); of the {found['patients_with_blasts']} whose labelled cells "
        "hold at least two blasts or abnormal promyelocytes: "
        + ", ".join(f"{r['patients_with_blasts_suspected']}" for r in found["repeats"])
        + ". Healthy batches of 100 PBC test cells suspected, worst fold of each repeat: "
        + ", ".join(str(max(r["healthy_batches_suspected_per_fold"])) for r in found["repeats"])
        + " of 22."
        + _normal_batches_line(found),
        "- APL vs other AML AUROC, out of fold: "
        + "; ".join(f"`{key}` " + ", ".join(f"{a[key]:.2f}" for a in aurocs) for key in aurocs[0])
        + ".",
        f"- What any blast threshold reaches on these patients (no fitting): AUROC {roc['auroc']:.3f}; "
        f"{roc['blasts_caught_at_5pct_normal_flagged']:.1%} of blasts caught with 5 % of normal cells flagged as "
        f"blast; {roc['normal_flagged_at_90pct_blasts_caught']:.1%} of normal cells flagged to catch 90 %.",
        *_blast_score_lines(),
        "",
    ]


def _normal_batches_line(found: dict) -> str:
    """Batches of 100 held-out normal cells suspected (another hospital's nearest to a healthy sample), where
    the cross-validation measured them, with the screening bar's budget."""
    if "normal_batch_draws" not in found:
        return ""
    shares = [
        sum(r["normal_batches_suspected_per_fold"])
        / (found["normal_batch_draws"] * len(r["normal_batches_suspected_per_fold"]))
        for r in found["repeats"]
    ]
    return (
        f" Batches of 100 normal cells of the held-out patients (another hospital; {found['normal_batch_draws']} per "
        "fold) suspected: "
        f"{min(shares):.0%}-{max(shares):.0%} per repeat, with the screening bar at {found['screen_budget']:.0%} "
        "of normal cells (`docs/robustness.md`)."
    )


def _blast_score_lines() -> list[str]:
    """Remedies for the blast score that need no training (``scripts/blast_score_study.py``), if measured."""
    found = _load(REPORTS_DIR / "blast_score_study.json")
    if not found:
        return []
    caught = {name: s["blasts_caught_at_5pct_normal_flagged"] for name, s in found["scores"].items()}
    release = next(iter(caught))
    best = max((name for name in caught if name != release), key=caught.get)
    earlier = found.get("classifier_sha256", "")[:16] != shipped_versions()["classifier"]
    return [
        "- Without training again (`python -m scripts.blast_score_study`, the same folds): blasts caught with 5 % of "
        f"normal cells flagged, out of fold: {caught[release]:.1%} with the release's ({release}), {caught[best]:.1%} at best "
        f"with another score ({best}; flip views and logistic heads refitted on the fitting patients' features or "
        "log probabilities tried): none adopted, the goal needs a network that separates blasts better."
        + (
            f" Measured with an earlier release (classifier sha256 {found.get('classifier_sha256', '?')[:16]}...),"
            " not the shipped one: run the study again to compare on it."
            if earlier
            else ""
        ),
    ]


def _batchnorm_remedy() -> list[str]:
    """The BatchNorm-statistics comparison of ``scripts/bn_adaptation.py`` and the lab-profile study, if run."""
    report = _load(REPORTS_DIR / "bn_adaptation.json")
    if not report:
        return []
    lines = [
        "## BatchNorm statistics on other microscopes",
        "Tsutsui et al. (ICASSP 2023) found BatchNorm statistics the largest single cause of cross-microscope "
        "failure. Each source's cells split in two halves; statistics re-estimated on one half's images "
        "(no labels) and the other half classified, then swapped (`python -m scripts.bn_adaptation`):",
        "",
        "| source | cells | group accuracy, shipped statistics | statistics of the source's own cells |",
        "|---|---|---|---|",
    ]
    measured_with = report.pop(MEASURED_WITH, None)
    for name, row in report.items():
        lines.append(
            f"| {name} | {row['cells']} | {row['group_accuracy_shipped_statistics']:.1%} | "
            f"{row['group_accuracy_statistics_from_other_half']:.1%} |"
        )
    if measured_with != shipped_versions():
        which = "an earlier release of the models" if measured_with else "models it did not record"
        lines += [
            "",
            f"Measured with {which}, not necessarily the shipped ones: its shipped-statistics column may not "
            "be today's accuracy (the per-source table above is); run `python -m scripts.bn_adaptation` again "
            "to compare on the shipped models.",
        ]
    study = _load(REPORTS_DIR / "profile_study.json")
    if study:
        lines += [
            "",
            f"A lab profile re-estimates the statistics on the lab's labelled cells and fits its head through them, "
            f"where that is at least as accurate in cross-validation on those cells, and where the cells carry no "
            f"ruler reads them at the candidate pixel size they are recognised best at, its head learning them "
            f"as every candidate size read them "
            f"(`python -m scripts.profile_study`, {len(study['draws'])} draws of 10 BCCD crops per group, 5 of a "
            f"rare group): accuracy on the other crops {study['accuracy_before_mean']:.1%} before, "
            f"{study['accuracy_after_mean']:.1%} (sd {study['accuracy_after_sd']:.1%}) with the profile.",
        ]
        if "suspected_after" in study:
            lines[-1] += (
                f" The profile itself reported {study['accuracy_after_cv_mean']:.1%} (cross-validated on its own "
                "cells, the pixel size chosen on the same cross-validation). "
                f"Screened as one healthy sample, the other crops were suspected of leukaemia in "
                f"{study['suspected_before']} of {len(study['draws'])} draws before and {study['suspected_after']} with "
                "the profile."
            )
    return [*lines, ""]


def _normalisation_comparison() -> list[str]:
    """BatchNorm against GroupNorm, same recipe, PBC only (``scripts/normalisation_study.py``), if run."""
    report = _load(REPORTS_DIR / "normalisation_study.json")
    if not report:
        return []
    first = next(iter(report.values()))
    sources = [name for name, scores in first.items() if isinstance(scores, dict)]
    lines = [
        "### BatchNorm or GroupNorm (issue #24 item 3)",
        "Two ResNet-18s trained from scratch on PBC alone by the same command but for `--arch` "
        '(`docs/training.md`, "BatchNorm or GroupNorm"), read through the product\'s pipeline; group accuracy '
        "of the cells it finds, no source trained on (AdaBN: BatchNorm statistics re-estimated on the other half "
        "of the source's cells):",
        "",
        f"| network | {' | '.join(sources)} |",
        f"|---|{'---|' * len(sources)}",
    ]
    for run, row in report.items():
        lines.append(
            f"| {run} (`{row['arch']}`) | "
            + " | ".join(f"{row[s]['group_accuracy']:.1%}" for s in sources)
            + " |"
        )
        if all("group_accuracy_adabn_other_half" in row[s] for s in sources):
            adabn = " | ".join(f"{row[s]['group_accuracy_adabn_other_half']:.1%}" for s in sources)
            lines.append(f"| {run} with AdaBN | {adabn} |")
    return [*lines, ""]


def classifier_card() -> str:
    folder = WEIGHTS_DIR / "classifier"
    config, metrics = _load(folder / "config.json"), _load(folder / "metrics.json")
    training = config.get("training", {})
    phases = _trained_phases(training.get("phases", []))
    seconds = sum(h.get("seconds", 0) for p in phases for h in p["history"])
    classes = config.get("classes", [])
    lines = [
        f"# Cell classifier ({len(classes)} fine classes, groups as sums)",
        "",
        f"- Classes: {', '.join(classes)}.",
        f"- Architecture: torchvision `{config['arch']}` (weights=None: trained from scratch here), {len(classes)} outputs.",
        f"- Input: the U-Net-masked cell, {config['input_side']}x{config['input_side']} px crop read at "
        f"{config['scale']:g} x the CellaVision pixel size ({config['input_side'] / config['scale']:.0f} original px), "
        "centred on the mask; outside the dilated mask = dataset mean.",
        f"- Calibration: temperature {config.get('temperature', 1):.3f} fitted on the validation split; "
        f"review threshold {config.get('review_threshold', 0.5):.2f} on the group confidence (each validation "
        "source's answers above it 97 % right).",
        _flip_views_line(config),
        *_answer_checks_lines(config),
        f"- Weights: `model.safetensors` (fp16), sha256 `{config['weights_sha256']}`; the config is sealed "
        f"(`content_sha256` {config.get('content_sha256', '')[:16]}...).",
        "",
        "## Data and split",
        "- PBC dataset (Acevedo et al. 2020, CC BY 4.0; CellaVision DM96, Barcelona, healthy donors), "
        "`dataset/pbc_split.csv`: deterministic, stratified by file label, by content hash (75 % train, 10 % "
        "validation, 15 % test; byte-identical duplicates share a split).",
        "- DeepAPL discovery cohort (Sidhom et al. 2021; another hospital's CellaVision, 82 AML/APL patients), "
        "`dataset/deepapl_split.csv`: split by patient, stratified by diagnosis (58 train, 12 validation, 12 test "
        "patients), CellaVision classes mapped to bcds labels in `bcds_core/deepapl.py` (blasts and promonocytes -> "
        "BLAST, promyelocytes of these patients -> ABPMY, variant lymphocytes -> VLY, smudge cells -> SMUDGE, the "
        "normal classes to theirs; plasma cells, giant platelets and platelet clumps left out).",
        *_source_counts(),
        "- The test split of each source was never trained on and not used for any choice. BCCD and the "
        "CellaVision-blog cells were never trained on: they are zero-shot checks of other labs and microscopes.",
        "",
        "## Training",
        *_recipe_lines(training),
        f"- {_phases(training)}, batch {training.get('batch_size')}, AdamW, weight decay "
        f"{training.get('weight_decay')}; loss: -log P(label set) with class weights "
        "(inverse square root of frequency); NEUTROPHIL/IG-only images train through their group's sum.",
        "- Augmentation: any rotation, flips, zoom 0.9-1.1, shifts, mask dilation 0-4 px (shifts and dilation "
        "given at scale 0.5 and scaled with the cell), brightness, contrast, "
        "saturation and per-channel colour gains (against the second JPEG pipeline's colour balance). Phases "
        "with stain augmentation also scale and shift each stain's density (haematoxylin, eosin, residual; "
        "factor 1 +- 0.25, shift +- 0.05), blur 40 % of the batches (sigma 0.5-2 px) and zoom 0.8-1.25, for "
        "other labs' stains, microscopes and pixel sizes.",
        "- Each phase's input size and scale are on the first line of its section in `train.log`. Phases train "
        "and validate on the cell masks derived from colour (`docs/masks.md`) unless said to use the released "
        "U-Net's masks, through which the product classifies.",
        "- Hardware: 2-core CPUs, no GPU (a run names its CPU at its start in `train.log`), channels_last, "
        "float32 unless a phase says bfloat16 autocast (those phases ran on an Intel Xeon with AVX512-BF16, where it "
        "measured 2x faster; it is far slower on AVX2-only CPUs); "
        f"{seconds / 3600:.2f} h of training.",
        *_architecture_comparison(),
        "",
        "## Validation history",
        "Measured in evaluation mode with the running BatchNorm statistics of each epoch, which lag behind the "
        "weights at one-cycle's high learning rates. The release compared the final statistics with statistics "
        f"recomputed on 2,048 clean training images on validation and kept {_bn_choice(training)}.",
        *_soup_note(training.get("phases", [])),
        "",
        *(
            line
            for number, phase in enumerate(phases, 1)
            for line in (
                f"Step {number} (`runs/{phase['run']}`, {phase['epochs']} epochs, peak lr {phase['lr']}, "
                f"{_masks_of(phase)}):",
                "",
                *_history_table(phase["history"], ["loss", "val_acc8", "val_acc11"]),
                "",
            )
        ),
        *_sources_section(),
        *_screening_cv_section(),
        *_batchnorm_remedy(),
        *_normalisation_comparison(),
        "## PBC test-split metrics (`python -m bcds_core evaluate ../shared/data/pbc --split test --json`)",
        "```json",
        json.dumps(metrics, indent=2),
        "```",
        "",
        f"ECE before temperature scaling: {metrics.get('ece_8_uncalibrated', float('nan')):.4f} (8 groups), "
        f"{metrics.get('ece_11_uncalibrated', float('nan')):.4f} (11 classes); after: {metrics.get('ece_8', float('nan')):.4f} "
        f"and {metrics.get('ece_11', float('nan')):.4f}.",
        "",
        *_colour_check(),
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


def _release_heading(name: str, scores: dict) -> str:
    """A column heading: the release folder, with its weights' short hash where the report gives it."""
    return f"`{name}` ({scores['sha256'][:8]})" if "sha256" in scores else name


def _mask_robustness() -> list[str]:
    """The shifted-expert-mask table of ``scripts/mask_robustness.py``, if it was run."""
    report = _load(REPORTS_DIR / "mask_robustness.json")
    if not report:
        return []
    releases = report["releases"]
    names = list(releases)
    shifts = [k for k in releases[names[0]] if k != "sha256"]
    lines = [
        "## Under other stains, focus and pixel sizes",
        "The 15 held-out expert images shifted in fixed ways (`python -m scripts.mask_robustness`, "
        "`reports/mask_robustness.json`); mean IoU per image (smp.metrics):",
        "",
        "| shift | " + " | ".join(_release_heading(n, releases[n]) for n in names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    lines += [
        f"| {shift} | " + " | ".join(f"{releases[n][shift]['iou']:.3f}" for n in names) + " |"
        for shift in shifts
    ]
    return lines + [""]


def unet_card() -> str:
    folder = WEIGHTS_DIR / "unet"
    config, metrics = _load(folder / "config.json"), _load(folder / "metrics.json")
    training = config.get("training", {})
    stain_range = training.get("stain_range") or DEFAULT_STAIN_RANGE  # older releases do not record it
    lines = [
        "# U-Net: mask of the cell the image is about",
        "",
        f"- segmentation_models_pytorch `{config['arch']}`, encoder `{config['encoder_name']}` (encoder_weights=None), "
        f"depth {config['encoder_depth']}, decoder {config['decoder_channels']}; input: the whole image resized to "
        f"{config['input_side']}x{config['input_side']}; mask = probability > {config['threshold']}, resized back.",
        f"- Weights: `model.safetensors` (fp16), sha256 `{config['weights_sha256']}`.",
        *(
            [
                f"- Each image is first white-balanced on its slide: per-channel gains that turn its slide colour "
                f"into {tuple(config['slide_rgb'])}, PBC's (`bcds_core/slide_balance.py`), so a tinted lamp, camera "
                "or slide glass does not move the mask (added in session 22 to weights trained without it; their "
                "training slides lie within a few levels of that colour)."
            ]
            if config.get("slide_rgb")
            else []
        ),
        "",
        "## Data",
        f"- {training.get('derived_masks')} PBC training-split images (100 per fine class) with masks derived by "
        "GrabCut seeded on the central nucleus (`bcds_core/segmentation/derived_masks.py`, screened by "
        "`mask_is_plausible`): only the central cell is foreground.",
        f"- {len(training.get('expert_trained_on', []))} of the 50 expert masks (x10 oversampled); held out, never "
        f"trained on: {', '.join(training.get('expert_held_out', []))}.",
        "",
        "## Training",
        _unet_command(training, stain_range),
        f"- {training.get('epochs')} epochs, batch {training.get('batch_size')}, AdamW lr {training.get('lr')} "
        "(one-cycle), loss Dice + BCE (smp.losses); augmentation: any rotation, flips, zoom 0.75-1.3, shifts, "
        "elastic deformation, colour jitter"
        + (
            f"; stain densities (HED, each x1 +- {stain_range}, shift +- 0.05) and focus (blur sigma up to 1.5 px at the "
            "working scale, 40 % of samples), so that other labs' pale or dark stains and softer optics still mask"
            if training.get("stain_augment")
            else ""
        )
        + ". CPU, 2 threads.",
        "- Checkpoint: the epoch with the best IoU on 220 derived masks of validation-split images; the held-out "
        "expert masks are logged each epoch (`train.log`) but never used to choose.",
        f"- Test-time augmentation: the mask averages {config.get('tta_views', 1)} flipped view(s) "
        "(`bcds_core/flip_tta.py`), chosen on the same 220 derived validation masks "
        f"(IoU by number of views: {config.get('tta_validation_iou', {})}).",
        "",
        *_mask_robustness(),
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
