"""Latency and throughput figures of every stage, and the ratio to a plain pipeline.

A benchmark, not a test: it prints figures for the machine it runs on. Ratios
against a plain eager float32 torchvision pipeline doing the same work
(PIL decode, torchvision resize/normalise, U-Net and classifier forward, one
image at a time, no channels_last, no inference mode) are measured in the same
run, so they compare across machines where seconds do not.
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import v2

from bcds_core.analysis import CellAnalyzer
from bcds_core.explain import FineClassTarget, explain_cell
from bcds_core.image_io import decode_image
from bcds_core.paths import REPO_ROOT
from bcds_core.preprocessing import to_working_scale
from bcds_core.result_cache import APP_RESULT_BYTES, ResultCache


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``work`` over ``repeats`` runs, after one warm-up."""
    work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_pipeline(analyzer: CellAnalyzer) -> Callable[[bytes], torch.Tensor]:
    """The same work done the plain way: the reference for the speed ratio."""
    unet, classifier = analyzer.masker.model, analyzer.classifier
    unet_side = analyzer.masker.config["input_side"]
    side = analyzer.classifier_config["input_side"]
    to_unet = v2.Compose(
        [
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Resize((unet_side, unet_side)),
            v2.Normalize(analyzer.masker.config["mean"], analyzer.masker.config["std"]),
        ]
    )
    to_classifier = v2.Compose(
        [
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Resize(180),
            v2.CenterCrop(side),
            v2.Normalize(analyzer.classifier_config["mean"], analyzer.classifier_config["std"]),
        ]
    )

    def run(data: bytes) -> torch.Tensor:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        with torch.no_grad():
            mask = torch.sigmoid(unet(to_unet(image).unsqueeze(0))) > 0.5
            logits = classifier(to_classifier(image).unsqueeze(0))
        return logits.softmax(1), mask

    return run


def photo_of(rgb: np.ndarray, side: int) -> bytes:
    """A 3:2 JPEG of ``rgb`` enlarged to ``side`` px wide: a cell photographed at a much finer pixel size
    (6000 px wide is a 24-megapixel camera's photo, the largest accepted)."""
    buffer = io.BytesIO()
    size = (side, side * 2 // 3)
    Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def field_of(rgb: np.ndarray) -> bytes:
    """A 640x480 JPEG field: the sample cell tiled at a coarser pixel size, as another microscope shows it."""
    small = np.asarray(Image.fromarray(rgb).resize((240, 240)))
    tiled = np.tile(small, (2, 3, 1))[:480, :640]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(tiled)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def size_figures(analyzer: CellAnalyzer, rgb: np.ndarray, repeats: int) -> dict:
    """One answer for uploads of other sizes, one 640x480 field, and the memory a 6000-px photo costs."""
    from bcds_core.field.analysis import analyze_field

    figures = {}
    for side in (120, 1500, 6000):
        photo = photo_of(rgb, side)
        figures[f"single_image_{side}px_wide_ms"] = (
            median_seconds(lambda photo=photo: analyzer.analyze_bytes([("x", photo)]), max(1, repeats // 3))
            * 1e3
        )
    field = field_of(rgb)
    figures["field_640x480_ms"] = (
        median_seconds(lambda: analyze_field(analyzer, "f", field), max(1, repeats // 3)) * 1e3
    )
    return figures


def resident_mb() -> float:
    """Resident memory of this process now, MB (Linux; 0 where /proc is absent)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def cache_figures(analyzer: CellAnalyzer, rgb: np.ndarray, uploads: int = 100) -> dict:
    """Resident memory after ``uploads`` distinct 3000-px photos pass through the app's result cache."""
    cache = ResultCache(APP_RESULT_BYTES)
    photo = photo_of(rgb, 3000)
    before = resident_mb()
    for i in range(uploads):
        distinct = photo + i.to_bytes(4, "little")  # trailing bytes: same picture, another upload
        cache.get_or_compute(i, lambda data=distinct: analyzer.analyze_bytes([("x", data)])[0])
    return {
        "cache_uploads": uploads,
        "cache_kept": len(cache),
        "cache_mb": cache.nbytes / 2**20,
        "rss_before_uploads_mb": before,
        "rss_after_uploads_mb": resident_mb(),
    }


def app_review_figures(cells: int = 100) -> dict:
    """The classify page's review timings for a batch of ``cells`` (``bcds_ui.page_timing``).

    Run as a child process so the core never imports Streamlit and the page starts
    cold, as on a fresh server: loading the models, a batch to its gallery, opening
    one cell, moving it to another class (seconds, AppTest harness, no browser).
    """
    command = [sys.executable, "-m", "bcds_ui.page_timing", str(cells)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"timing the classify page failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_benchmark(analyzer: CellAnalyzer, sample_paths: list[Path], repeats: int = 10) -> dict:
    """Figures for one sample image per stage, a batch of 100, and peak memory.

    The 100 uploads through the result cache run first, as in an app just started: the
    later stages (a 6000-px photo, LIME) leave freed memory with the allocator, which
    would be counted against the cache otherwise.
    """
    data = sample_paths[0].read_bytes()
    rgb = decode_image(data).rgb
    cache_memory = cache_figures(analyzer, rgb)
    cell = analyzer.prepare([rgb])[0]
    target = FineClassTarget(int(np.argmax(analyzer.fine_probabilities([cell])[0])))

    def explain_ms(method: str) -> float:
        return median_seconds(lambda: explain_cell(analyzer, cell, method, target), repeats) * 1e3

    figures = {
        "decode_ms": median_seconds(lambda: decode_image(data), repeats) * 1e3,
        "mask_ms": median_seconds(lambda: analyzer.masker.masks([to_working_scale(rgb)]), repeats) * 1e3,
        "classify_ms": median_seconds(lambda: analyzer.fine_probabilities([cell]), repeats) * 1e3,
        "single_image_ms": median_seconds(lambda: analyzer.analyze_bytes([("x", data)]), repeats) * 1e3,
        "gradcam_ms": explain_ms("gradcam"),
        "eigencam_ms": explain_ms("eigencam"),
        "lime_s": median_seconds(lambda: explain_cell(analyzer, cell, "lime", target), 1),
    }
    figures["answer_with_gradcam_ms"] = figures["single_image_ms"] + figures["gradcam_ms"]
    figures |= size_figures(analyzer, rgb, repeats)
    batch = [(p.name, p.read_bytes()) for p in (sample_paths * (100 // len(sample_paths) + 1))[:100]]
    batch_seconds = median_seconds(lambda: analyzer.analyze_bytes(batch), 1)
    figures["batch_100_s"] = batch_seconds
    figures["batch_images_per_s"] = 100 / batch_seconds
    plain = plain_pipeline(analyzer)
    plain_ms = median_seconds(lambda: plain(data), repeats) * 1e3
    figures["plain_torchvision_single_image_ms"] = plain_ms
    figures["ratio_single_image_vs_plain"] = figures["single_image_ms"] / plain_ms
    figures["ratio_batch_per_image_vs_plain"] = (batch_seconds * 1e3 / 100) / plain_ms
    figures |= cache_memory
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["torch_threads"] = torch.get_num_threads()
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in figures.items()}
