"""``bench [--json] [--app]``: time every stage on the shipped samples.

The last stdout line is one JSON object of figures (milliseconds, seconds,
images per second, MB, and ratios to a plain torchvision pipeline). ``--app``
also measures the app's cold start (launching Streamlit until the page's
health endpoint answers and the page HTML is served) and the review on the
classify page: a batch of ``--app-cells`` uploads to its gallery, opening one
cell, moving it to another class (``app_*_s``, through Streamlit's AppTest).
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    parser.add_argument("--app", action="store_true", help="also time the app's cold start and review")
    parser.add_argument("--app-cells", type=int, default=100, help="cells in the timed review batch")
    parser.add_argument("--repeats", type=int, default=10)


def run(args: argparse.Namespace) -> int:
    from bcds_core.benchmark import run_benchmark
    from bcds_core.commands.common import load_analyzer
    from bcds_core.paths import SAMPLES_DIR

    analyzer = load_analyzer()
    if analyzer is None:
        return 2
    figures = run_benchmark(analyzer, sorted(SAMPLES_DIR.glob("*/*.jpg")), args.repeats)
    if args.app:
        from bcds_core.app_start import time_cold_start
        from bcds_core.benchmark import app_review_figures

        figures["app_cold_start_s"] = round(time_cold_start(), 3)
        figures |= app_review_figures(args.app_cells)
    print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))
    return 0
