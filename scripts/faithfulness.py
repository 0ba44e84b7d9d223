"""Faithfulness of every explanation method on test-split cells -> docs/explanations.md figures.

Usage: .venv/bin/python -m scripts.faithfulness [N_CAM] [N_LIME]
Writes reports/faithfulness.json and docs/faithfulness.png (matplotlib, which lime installs).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from bcds_core.analysis import CellAnalyzer, consistent_answer
from bcds_core.explain.faithfulness import score_method
from bcds_core.image_io import decode_image, read_bytes
from bcds_core.paths import DATASET_DIR, REPO_ROOT, REPORTS_DIR, pbc_root
from bcds_core.splits import read_split_csv


def main(n_cam: int, n_lime: int) -> None:
    analyzer = CellAnalyzer(device="cpu")
    rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    chosen = rows[:: max(1, len(rows) // n_cam)][:n_cam]
    cells = analyzer.prepare([decode_image(read_bytes(pbc_root() / r.path)).rgb for r in chosen])
    targets = [consistent_answer(f)[1] for f in analyzer.fine_probabilities(cells)]
    scores = []
    for method in ("gradcam", "gradcam++", "eigencam", "lime"):
        n = n_lime if method == "lime" else n_cam
        scores.append(score_method(analyzer, cells[:n], targets[:n], method))
        print(scores[-1], flush=True)
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "faithfulness.json").write_text(json.dumps([asdict(s) for s in scores], indent=2) + "\n")
    plot(scores, n_cam, n_lime)
    print(json.dumps([asdict(s) for s in scores]))


def plot(scores, n_cam: int, n_lime: int) -> None:
    """Grouped bars of each method's scores -> docs/faithfulness.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    bars = {
        "ROAD combined (higher = more faithful)": [s.road_combined for s in scores],
        "random map (baseline)": [s.random_baseline for s in scores],
        "heat inside the cell mask": [s.inside_mask_share for s in scores],
        "mask's share of the crop (flat-map baseline)": [s.mask_area_share for s in scores],
    }
    positions = np.arange(len(scores))
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    for offset, (name, values) in enumerate(bars.items()):
        axes.bar(positions + (offset - 1.5) * 0.2, values, 0.2, label=name)
    axes.set_xticks(positions, [s.method for s in scores])
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_title(f"Faithfulness on test-split cells (CAMs n={n_cam}, LIME n={n_lime})")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(REPO_ROOT / "docs" / "faithfulness.png")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 40)
