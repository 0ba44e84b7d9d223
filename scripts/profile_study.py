"""A lab profile from a few labelled BCCD crops: accuracy on the other crops, before and after, several draws.

A lab that adopts bcds labels 10 cells per group (5 of a rare group) of its own
microscope and fits a profile (``adapt``). This script plays that lab with the
BCCD crops (another microscope and stain, never trained on): for each draw it
fits a profile on the drawn cells (``adapt.fit_profile``) and answers every
other crop with and without it. It also screens the other crops as one sample
(BCCD's donors have no leukaemia, so "suspected" is a false alarm), and keeps
the accuracy the profile itself reports (cross-validated on its own cells,
what ``adapt`` and the Calibrate page show) beside the accuracy it reaches.

    .venv/bin/python -m scripts.profile_study [--draws 10] -> reports/profile_study.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from bcds_core.adapt import fit_profile
from bcds_core.analysis import CellAnalyzer
from bcds_core.evaluation import ok_answers
from bcds_core.paths import REPORTS_DIR, data_root
from bcds_core.screening import screen

#: Labelled cells per group, and for a group with fewer than ``RARE_BELOW`` crops.
PER_GROUP, PER_RARE_GROUP, RARE_BELOW = 10, 5, 40


def drawn(groups: list[str], rng: np.random.Generator) -> np.ndarray:
    """Indices of the profile's cells: 10 per group, 5 of a rare one, at most half of a tiny one."""
    chosen = []
    for group in sorted(set(groups)):
        members = np.flatnonzero(np.array(groups) == group)
        count = PER_GROUP if len(members) >= RARE_BELOW else PER_RARE_GROUP
        chosen += list(rng.choice(members, size=min(count, len(members) // 2), replace=False))
    return np.sort(np.array(chosen, int))


def scores(results, truth: list[str]) -> dict:
    """Group accuracy, how the ``ok`` answers fare (``evaluation.ok_answers``), and the cells screened
    as one sample (its blast-equivalent share, and whether leukaemia would be suspected)."""
    accuracy = float(np.mean([r.group == t for r, t in zip(results, truth, strict=True)]))
    sample = screen(results)
    return {
        "accuracy": accuracy,
        **ok_answers(results, truth),
        "screen": {"blast_fraction": sample.blast_fraction, "suspected": sample.leukaemia_suspected},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args()
    root = data_root() / "bccd" / "crops"
    paths = sorted(root.glob("*/*.jpg"))
    items = [(p.relative_to(root).as_posix(), p.read_bytes(), p.parent.name) for p in paths]
    groups = [group for _, _, group in items]
    analyzer = CellAnalyzer()
    plain = analyzer.analyze_bytes([(name, data) for name, data, _ in items])
    draws = []
    for seed in range(args.draws):
        chosen = drawn(groups, np.random.default_rng(seed))
        rest = np.setdiff1d(np.arange(len(items)), chosen)
        started = time.perf_counter()
        profile, _ = fit_profile(analyzer, [items[i] for i in chosen])
        seconds = time.perf_counter() - started
        adapted = analyzer.analyze_bytes([items[i][:2] for i in rest], profile=profile)
        truth = [groups[i] for i in rest]
        draws.append(
            {
                "seed": seed,
                "profile_cells": {g: int(sum(groups[i] == g for i in chosen)) for g in sorted(set(groups))},
                "fit_seconds": round(seconds, 1),
                "profile_pixel_size_um": profile.pixel_size_um,
                "accuracy_after_cv": profile.summary["accuracy_after_cv"],
                "accuracy_after_cv_by_pixel_size": profile.summary.get("accuracy_after_cv_by_pixel_size"),
                "batchnorm_cells": profile.summary["batchnorm_cells"],
                "head_pixel_sizes": profile.summary.get("head_pixel_sizes", 1),
                "test_cells": len(rest),
                "before": scores([plain[i] for i in rest], truth),
                "after": scores(adapted, truth),
            }
        )
        print(json.dumps(draws[-1]), flush=True)
    summary = {
        "draws": draws,
        "accuracy_before_mean": float(np.mean([d["before"]["accuracy"] for d in draws])),
        "accuracy_after_mean": float(np.mean([d["after"]["accuracy"] for d in draws])),
        "accuracy_after_sd": float(np.std([d["after"]["accuracy"] for d in draws])),
        "accuracy_after_cv_mean": float(np.mean([d["accuracy_after_cv"] for d in draws])),
        "suspected_before": sum(d["before"]["screen"]["suspected"] for d in draws),
        "suspected_after": sum(d["after"]["screen"]["suspected"] for d in draws),
    }
    (REPORTS_DIR / "profile_study.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "draws"}))


if __name__ == "__main__":
    main()
