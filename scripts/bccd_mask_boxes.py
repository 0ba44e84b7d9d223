"""How far the U-Net's mask covers the white cells of another microscope: BCCD's annotated boxes.

No expert masks of another microscope are in the data, but BCCD's fields box each white cell
(VOC boxes, by its annotators). Each boxed white cell is cut from its field as the product cuts a
found cell (a CellaVision-sized square at the models' pixel size, centred here on the box), masked
by a U-Net release, and the bounding box of the cell's mask compared with the annotated box: IoU,
and the ratio of their areas (below 1 the mask stops short of the annotated cell, as at a pale
cytoplasm; above 1 it takes in neighbours). Boxes that the field's border cuts are left out.
The annotators' boxes are loose and uneven, so differences between releases say more than the
absolute figures. For scale, the first release is also scored as if its mask had stopped at the
nucleus (the nucleus-stained pixels inside its mask): the failure the issue saw on other
microscopes' pale cytoplasm.

    .venv/bin/python -m scripts.bccd_mask_boxes weights/unet [RELEASE ...] -> reports/bccd_mask_boxes.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bcds_core.field.analysis import FieldReading, read_field
from bcds_core.image_io import read_bytes
from bcds_core.paths import REPORTS_DIR
from bcds_core.preprocessing import CANVAS_ORIGINAL_SIDE
from bcds_core.segmentation.derived_masks import dark_pixels
from bcds_core.segmentation.masker import CellMasker
from scripts.evaluate_fields import FIELDS, annotated_white_cells, iou

#: A box within this many pixels of the field's edge is taken as cut by it.
BORDER_PX = 2


def boxed_cells() -> list[tuple[str, np.ndarray, tuple[float, float, float, float]]]:
    """(field name, canvas, annotated box in canvas pixels) of every whole annotated white cell."""
    cells = []
    for xml in sorted((FIELDS / "Annotations").glob("*.xml")):
        reading = read_field(read_bytes(FIELDS / "JPEGImages" / f"{xml.stem}.jpg"))
        file_height, file_width = reading.upload_shape
        for x0, y0, x1, y1 in annotated_white_cells(xml):
            if min(x0, y0) < BORDER_PX or x1 > file_width - 1 - BORDER_PX or y1 > file_height - 1 - BORDER_PX:
                continue
            cells.append(
                (xml.stem, *cut_out(reading, tuple(v * reading.to_upload for v in (x0, y0, x1, y1))))
            )
    return cells


def cut_out(reading: FieldReading, box: tuple[float, float, float, float]) -> tuple[np.ndarray, tuple]:
    """The product's canvas of the cell in ``box`` (x0, y0, x1, y1 in the read field's pixels), centred on
    the box, and the box in the canvas's pixels."""
    centre = (round((box[0] + box[2]) / 2), round((box[1] + box[3]) / 2))
    origin = (centre[0] - CANVAS_ORIGINAL_SIDE // 2, centre[1] - CANVAS_ORIGINAL_SIDE // 2)
    return reading.cell_canvas(centre), tuple(v - origin[i % 2] for i, v in enumerate(box))


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def scores(masker: CellMasker, cells, nucleus_only: bool = False) -> dict:
    ious, ratios, missing = [], [], 0
    for _, canvas, box in cells:
        mask = masker.cell_mask(canvas)
        found = mask_box(mask & dark_pixels(canvas) if nucleus_only else mask)
        if found is None:
            missing += 1
            ious.append(0.0)
            continue
        ious.append(iou(found, box))
        ratios.append(area(found) / area(box))
    ious = np.array(ious)
    return {
        "sha256": masker.config["weights_sha256"],
        "cells": len(cells),
        "no_mask": missing,
        "mean_box_iou": round(float(ious.mean()), 4),
        "median_box_iou": round(float(np.median(ious)), 4),
        "box_iou_at_least_0.7": round(float((ious >= 0.7).mean()), 4),
        "box_iou_below_0.5": round(float((ious < 0.5).mean()), 4),
        "median_area_ratio": round(float(np.median(ratios)), 4),
        "area_ratio_below_0.6": round(float((np.array(ratios) < 0.6).mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", nargs="+", help="U-Net release folders")
    parser.add_argument("--out", default=str(REPORTS_DIR / "bccd_mask_boxes.json"))
    args = parser.parse_args()
    cells = boxed_cells()
    report = {}
    for release in args.releases:
        report[Path(release).as_posix()] = scores(CellMasker(Path(release)), cells)
    first = Path(args.releases[0]).as_posix()
    report[f"{first}, its mask cut to the nucleus"] = scores(
        CellMasker(Path(first)), cells, nucleus_only=True
    )
    text = json.dumps(report, indent=2)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
