"""Seconds the classify page takes to review a batch, run through Streamlit's AppTest harness.

``bench --app`` starts this module as its own process (``python -m
bcds_ui.page_timing CELLS``; the last stdout line is JSON), so the core never
imports Streamlit and the page loads its models and fills its result cache as
a fresh server would. AppTest runs the page's own script, callbacks and caches
but no browser: the figures leave out the network and the drawing. Each step
has its wall time (``_s``) and this process's CPU time over all its threads
(``_cpu_s``), which stays meaningful on a machine shared with other work.
"""

from __future__ import annotations

import json
import sys
import time

from streamlit.testing.v1 import AppTest

from bcds_core.paths import REPO_ROOT, SAMPLES_DIR
from bcds_ui.batch_input import BATCH_KEY
from bcds_ui.review_gallery import file_key

#: A page run may take this long (100 cells analysed on a busy CPU) before AppTest gives up, s.
RUN_TIMEOUT_S = 1800


def batch_of(cells: int) -> list[tuple[str, bytes]]:
    """``cells`` uploads cycling through the shipped samples, each under its own name (as files would be)."""
    samples = sorted(SAMPLES_DIR.glob("*/*.jpg"))
    return [(f"{i:03d}_{p.name}", p.read_bytes()) for i, p in enumerate((samples * cells)[:cells])]


def timed_run(at: AppTest) -> tuple[float, float]:
    """Wall and CPU seconds of one page run; an exception in the page fails it (its figure would mislead)."""
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    if at.exception:
        raise RuntimeError(f"the classify page failed: {at.exception[0].message}")
    return time.perf_counter() - wall, time.process_time() - cpu


def time_review(cells: int) -> dict[str, float | int]:
    """Seconds for a batch of ``cells`` to reach its gallery, for opening one cell and for moving it."""
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "classify.py"), default_timeout=RUN_TIMEOUT_S)
    figures: dict[str, float | int] = {"app_review_cells": cells}

    def step(name: str) -> None:
        figures[f"app_{name}_s"], figures[f"app_{name}_cpu_s"] = timed_run(at)

    step("models_load")
    batch = batch_of(cells)
    at.session_state[BATCH_KEY] = batch
    step("batch_to_gallery")
    at.button(key=f"review_open_{file_key(batch[0][0])}").click()
    step("open_cell")
    at.button(key="review_move_BLAST").click()
    step("reclassify")
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


if __name__ == "__main__":
    print(json.dumps(time_review(int(sys.argv[1]))))
