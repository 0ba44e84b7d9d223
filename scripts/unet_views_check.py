"""The validation splits through the product with the U-Net's masks averaged over 4 and over 2 flip views.

Two views would make every answer about 40 ms faster on 2 CPU cores, but the classifier learned
on 4-view masks; this measures what the change would cost through the whole product on the PBC
validation split and the validation patients of the DeepAPL discovery cohort's split
(``dataset/deepapl_split.csv``): never the test splits, and never DeepAPL's held-back validation
cohort, which the project does not read.

    .venv/bin/python -m scripts.unet_views_check -> reports/unet_views_check.json (about 25 minutes here)
"""

from __future__ import annotations

import json

import numpy as np

from bcds_core.analysis import CellAnalyzer
from bcds_core.evaluation import ok_answers, summarise
from bcds_core.paths import REPORTS_DIR
from bcds_core.splits import read_split_csv
from bcds_core.taxonomy import ABNORMAL_GROUPS
from bcds_core.training_sources import training_source
from scripts.evaluate_sources import analyzed


def validation_rows(source: str) -> list[tuple[str, str, str]]:
    """(path, group, fine label) of a training source's validation split."""
    split_csv = training_source(source).split_csv
    return [(r.path, r.group, r.label) for r in read_split_csv(split_csv) if r.split == "val"]


def measured(analyzer: CellAnalyzer, root, rows) -> dict:
    items = analyzed(analyzer, root, rows)
    summary = summarise(items, analyzer.temperature)
    normal = [i for i in items if i.true_group not in ABNORMAL_GROUPS]
    blasts = [i for i in items if i.true_group == "blast"]
    return {
        "n": summary["n"],
        "acc8": round(summary["accuracy_8"], 4),
        "acc11": round(summary["accuracy_11"], 4),
        "normal_acc": round(float(np.mean([i.result.group == i.true_group for i in normal])), 4),
        "blasts_flagged_or_answered": (
            float(np.mean([i.result.group == "blast" or "blast" in i.result.flags for i in blasts]))
            if blasts
            else None
        ),
        **ok_answers([i.result for i in items], [i.true_group for i in items]),
    }


def main() -> None:
    analyzer = CellAnalyzer()
    sources = {
        f"{name}_val": (training_source(name).image_root(), validation_rows(name))
        for name in ("pbc", "deepapl")
    }
    report = []
    for views in (2, 4):
        analyzer.masker.config["tta_views"] = views
        for name, (root, rows) in sources.items():
            report.append({"views": views, "source": name, **measured(analyzer, root, rows)})
            print(json.dumps(report[-1]), flush=True)
    (REPORTS_DIR / "unet_views_check.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
