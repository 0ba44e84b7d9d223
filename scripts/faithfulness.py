"""Faithfulness of every explanation method on test-split cells -> docs/explanations.md figures.

Usage: .venv/bin/python -m scripts.faithfulness [N_CELLS] [N_LIME] [N_ROAD]
Every cell gets the CAMs and blank deletion; the first N_LIME also LIME, the
first N_ROAD also ROAD (slow). Writes reports/faithfulness.json and
docs/faithfulness.png (matplotlib, which lime installs).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict

import torch

from bcds_core.analysis import CellAnalyzer
from bcds_core.classifier.model import consistent_answer
from bcds_core.explain import FineClassTarget
from bcds_core.explain.faithfulness import RANDOM_MAP, method_scores, score_cell
from bcds_core.image_io import decode_image, read_bytes
from bcds_core.paths import DATASET_DIR, REPO_ROOT, REPORTS_DIR, pbc_root
from bcds_core.splits import read_split_csv

#: The CAMs the app offers.
FAST_CAMS = ["gradcam", "gradcam++", "hirescam", "eigencam"]
#: One single-threaded process per core: ROAD's imputation (scipy) runs on one core anyway.
WORKERS = 2
_analyzer: CellAnalyzer | None = None


def _start_worker() -> None:
    global _analyzer
    torch.set_num_threads(1)
    _analyzer = CellAnalyzer(device="cpu")


def _score(job: tuple[int, str, list[str], bool]):
    """Score one test image (its index seeds the random map) for the class the model answers."""
    index, path, methods, road = job
    cell = _analyzer.prepare([decode_image(read_bytes(pbc_root() / path)).rgb])[0]
    target = FineClassTarget(consistent_answer(_analyzer.fine_probabilities([cell])[0])[1])
    return score_cell(
        _analyzer.classifier,
        _analyzer.classifier_input([cell]),
        _analyzer.crop_mask(cell),
        target,
        methods,
        seed=index,
        road=road,
        temperature=_analyzer.temperature,
    )


def main(n_cells: int, n_lime: int, n_road: int) -> None:
    rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    chosen = rows[:: max(1, len(rows) // n_cells)][:n_cells]
    jobs = [
        (i, r.path, FAST_CAMS + (["lime"] if i < n_lime else []), i < n_road) for i, r in enumerate(chosen)
    ]
    with ProcessPoolExecutor(WORKERS, initializer=_start_worker) as pool:
        cells = []
        for done, cell in enumerate(pool.map(_score, jobs), 1):
            cells.append(cell)
            if done % 20 == 0:
                print(f"{done}/{len(jobs)} cells scored", flush=True)
    scores = [method_scores(cells, method) for method in [*FAST_CAMS, "lime", RANDOM_MAP]]
    REPORTS_DIR.mkdir(exist_ok=True)
    (REPORTS_DIR / "faithfulness.json").write_text(json.dumps([asdict(s) for s in scores], indent=2) + "\n")
    plot(scores)
    print(json.dumps([asdict(s) for s in scores]))


def plot(scores) -> None:
    """Scores per method beside the random map, and the mean deletion curves -> docs/faithfulness.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from bcds_core.explain.faithfulness import DELETION_PERCENTILES

    bars = {
        "ROAD combined": [s.road_combined or 0.0 for s in scores],
        "blank deletion combined": [s.blank_combined for s in scores],
        "heat inside the cell mask": [s.inside_mask_share for s in scores],
    }
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), dpi=100)
    positions = np.arange(len(scores))
    for offset, (name, values) in enumerate(bars.items()):
        left.bar(positions + (offset - 1) * 0.27, values, 0.27, label=name)
    left.axhline(scores[0].mask_area_share, color="grey", linestyle=":", label="mask's share of the crop")
    left.set_xticks(positions, [f"{s.method}\n{s.n} cells\n(ROAD {s.n_road})" for s in scores], fontsize=8)
    left.axhline(0, color="black", linewidth=0.8)
    left.set_title("Higher = more faithful / more heat on the cell")
    left.legend(fontsize=8)
    for s in scores:
        right.plot(DELETION_PERCENTILES, s.deletion_curve, marker="o", label=s.method)
    right.set_xlabel("% of pixels kept (least relevant); the rest blanked")
    right.set_ylabel("change in the answered class's probability")
    right.set_title("Deletion curves: most relevant pixels removed first")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(REPO_ROOT / "docs" / "faithfulness.png")


if __name__ == "__main__":
    counts = [int(a) for a in sys.argv[1:4]]
    main(*counts, *[300, 300, 100][len(counts) :])
