"""Whether the red-cell ruler measures a large JPEG as well on its reduced decode as on the full one.

``upload_reading`` measures a JPEG of 2048 px or more on a decode of 1024 px (JPEG's DCT
scaling) instead of 2048 px. Real camera photos of smears are not in the data, so this
imitates them: PBC test images and BCCD fields enlarged 5, 9 and 14 times (bicubic, at most
24 megapixels) and saved as JPEG (quality 90). The truth for each is the ruler's diameter on
the image as it came, times the enlargement; each decode's estimate is compared with it.

    .venv/bin/python -m scripts.reduced_decode_check [--images 40] -> reports/reduced_decode_check.json
"""

from __future__ import annotations

import argparse
import io
import json
import random

import numpy as np
from PIL import Image

from bcds_core.image_io import MAX_DECODED_SIDE, REDUCED_DECODE_SIDE, decode_image
from bcds_core.paths import DATASET_DIR, REPORTS_DIR, data_root, pbc_root
from bcds_core.pixel_size import red_cell_diameter
from bcds_core.splits import read_split_csv

ENLARGEMENTS = (5, 9, 14)
MAX_PHOTO_PIXELS = 24e6


def photo_of(image: Image.Image, enlargement: int) -> tuple[bytes, float]:
    """JPEG bytes of ``image`` enlarged (within ``MAX_PHOTO_PIXELS``), and the enlargement applied."""
    factor = min(enlargement, (MAX_PHOTO_PIXELS / (image.width * image.height)) ** 0.5)
    size = (int(image.width * factor), int(image.height * factor))
    buffer = io.BytesIO()
    image.resize(size, Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), size[0] / image.width


def relative_errors(paths: list, sides: tuple[int, ...]) -> dict[int, list[float]]:
    """Per decode side, the relative error of each measured estimate (unmeasured ones left out)."""
    errors: dict[int, list[float]] = {side: [] for side in sides}
    for path in paths:
        image = Image.open(path).convert("RGB")
        native = red_cell_diameter(np.asarray(image))
        if native is None:
            continue
        for enlargement in ENLARGEMENTS:
            data, factor = photo_of(image, enlargement)
            for side in sides:
                decoded = decode_image(data, side)
                diameter = red_cell_diameter(decoded.rgb)
                if diameter is not None:
                    errors[side].append(diameter / decoded.scale / (native * factor) - 1)
    return errors


def summary(errors: list[float]) -> dict:
    magnitude = np.abs(errors)
    return {
        "measured": len(errors),
        "median_abs_error": round(float(np.median(magnitude)), 4),
        "p90_abs_error": round(float(np.percentile(magnitude, 90)), 4),
        "median_error": round(float(np.median(errors)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40, help="images per source")
    args = parser.parse_args()
    rng = random.Random(0)
    test_rows = [r for r in read_split_csv(DATASET_DIR / "pbc_split.csv") if r.split == "test"]
    sources = {
        "pbc test": [pbc_root() / r.path for r in rng.sample(test_rows, args.images)],
        "bccd fields": rng.sample(sorted((data_root() / "bccd" / "fields").rglob("*.jpg")), args.images),
    }
    sides = (MAX_DECODED_SIDE, REDUCED_DECODE_SIDE)
    report = {}
    for name, paths in sources.items():
        errors = relative_errors(paths, sides)
        report[name] = {f"decoded at {side} px": summary(errors[side]) for side in sides}
        print(name, json.dumps(report[name]), flush=True)
    (REPORTS_DIR / "reduced_decode_check.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
