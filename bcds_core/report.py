"""A PDF report of one sample: differential, flags, a gallery of the cells, unusable files, model versions
and the data they were trained on.

Set in DejaVu Sans (shipped in ``fonts/``, its licence beside it), which covers Latin, Greek and
Cyrillic: fpdf2's core fonts hold Latin-1 only, and printed "样本1" and "标本1" both as "??1" and a
reviewer "Иван" as "????". A character the font lacks is written as its code point
(``<U+6837>``), so two sample IDs or signatures never print alike. No patient identifiers:
the sample is named by the ID the user gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fpdf import FPDF
from PIL import Image

from bcds_core.analysis import CellResult
from bcds_core.attribution import MODEL_ATTRIBUTION, PBC_ATTRIBUTION, plain
from bcds_core.differential import differential, summary_line
from bcds_core.sample_review import file_name
from bcds_core.screening import screen
from bcds_core.taxonomy import display_name

DISCLAIMER = (
    "bcds is a research and teaching aid, not a diagnostic device. Every answer, count and flag "
    "is for a qualified person to check."
)
#: Side of a gallery thumbnail in the PDF, mm, and cells per row.
THUMB_MM = 24
THUMBS_PER_ROW = 7


FONT = "dejavu"
FONT_DIR = Path(__file__).parent / "fonts"


def report_pdf() -> FPDF:
    """An empty report with the shipped font, regular and bold."""
    pdf = FPDF()
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    return pdf


def printable(pdf: FPDF, text: str) -> str:
    """``text`` with each character the current font lacks written as its code point (``<U+6837>``)."""
    covered = pdf.current_font.cmap
    return "".join(c if ord(c) in covered or c in "\n\t" else f"<U+{ord(c):04X}>" for c in text)


def thumbnail(result: CellResult, side: int = 96) -> Image.Image:
    """The cell as the models read it, cut around its mask, as a small square image."""
    rgb = result.rgb
    if result.mask is not None and result.mask.any():
        rows, cols = np.flatnonzero(result.mask.any(1)), np.flatnonzero(result.mask.any(0))
        half = max(rows[-1] - rows[0], cols[-1] - cols[0]) // 2 + 8
        y, x = (rows[0] + rows[-1]) // 2, (cols[0] + cols[-1]) // 2
        rgb = rgb[max(0, y - half) : y + half, max(0, x - half) : x + half]
    image = Image.fromarray(np.ascontiguousarray(rgb))
    image.thumbnail((side, side))
    return image


def model_versions(analyzer) -> dict[str, str]:
    """The released models an analyzer answers with, by the start of their weights' sha256."""
    from bcds_core.weights_io import read_config

    return {
        "classifier": analyzer.classifier_config["weights_sha256"][:16],
        "U-Net": read_config(analyzer.masker_dir)["weights_sha256"][:16],
    }


def sample_report(
    results: list[CellResult],
    sample_id: str,
    model_versions: dict[str, str],
    review: Sequence[str] = (),
    read_with: str = "",
) -> bytes:
    """The PDF of one sample's answers (``results`` in upload order, as reviewed).

    ``review`` is the person's record as sentences (``SampleReview.sign_off_lines`` and
    ``correction_lines``), so a sign-off that later changes outdated is printed with the note
    saying so, and every correction with the model's answer it replaced. ``read_with`` says
    what the answers were read with (pixel size, lab profile), which changes them.
    """
    pdf = report_pdf()
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, printable(pdf, f"bcds sample report: {sample_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        printable(pdf, f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {DISCLAIMER}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    found = differential(results)
    _heading(pdf, "Differential (every answered white cell, as reviewed)")
    with pdf.table(
        col_widths=(70, 25, 25), text_align=("LEFT", "RIGHT", "RIGHT"), width=120, align="LEFT"
    ) as table:
        for row in [("Cell", "Count", "%"), *((n, str(c), f"{p:.1f}") for n, c, p in found.rows)]:
            cells = table.row()
            for value in row:
                cells.cell(printable(pdf, value))
    pdf.ln(2)
    pdf.multi_cell(0, 5, printable(pdf, summary_line(found)), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Flags")
    found_screen = screen(results)
    flags = found_screen.message
    if found_screen.driving:
        numbers = {id(r): number for number, r in enumerate(results, start=1)}
        flags += " Cells that drove it: " + found_screen.driving_line(
            lambda r: f"{numbers[id(r)]}. {file_name(r.file)}", "; "
        )
    pdf.multi_cell(0, 5, printable(pdf, flags), new_x="LMARGIN", new_y="NEXT")
    if review:
        _heading(pdf, "Review")
        for line in review:
            pdf.multi_cell(0, 5, printable(pdf, line), new_x="LMARGIN", new_y="NEXT")
    _gallery(pdf, results)
    unusable = [r for r in results if r.status == "rejected"]
    _heading(pdf, f"Unusable files ({len(unusable)})")
    for result in unusable:
        pdf.multi_cell(
            0, 5, printable(pdf, f"{file_name(result.file)}: {result.message}"), new_x="LMARGIN", new_y="NEXT"
        )
    _heading(pdf, "Models")
    if read_with:
        pdf.multi_cell(0, 5, printable(pdf, f"Answers read with {read_with}."), new_x="LMARGIN", new_y="NEXT")
    for name, version in model_versions.items():
        pdf.cell(h=5, text=printable(pdf, f"{name}: sha256 {version}"), new_x="LMARGIN", new_y="NEXT")
    for credit in (MODEL_ATTRIBUTION, f"Sample images shipped with bcds: {PBC_ATTRIBUTION}"):
        pdf.multi_cell(0, 5, printable(pdf, plain(credit)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, printable(pdf, DISCLAIMER), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(
        h=7, text=printable(pdf, text), new_x="LMARGIN", new_y="NEXT"
    )  # the font's own height crowds the line below
    pdf.set_font(FONT, size=9)


def _gallery(pdf: FPDF, results: list[CellResult]) -> None:
    """Thumbnails of the answered cells grouped by answer, each captioned with its place in the
    upload order (as in the file list), its class and status."""
    _heading(pdf, "Gallery (numbered in upload order)")
    shown = [
        (number, r)
        for number, r in enumerate(results, start=1)
        if r.group and r.status != "rejected" and r.rgb is not None
    ]
    ordered = sorted(shown, key=lambda item: (item[1].group, item[0]))
    for start in range(0, len(ordered), THUMBS_PER_ROW):
        if pdf.will_page_break(THUMB_MM + 10):
            pdf.add_page()
        y = pdf.get_y()
        for column, (number, result) in enumerate(ordered[start : start + THUMBS_PER_ROW]):
            x = pdf.l_margin + column * (THUMB_MM + 3)
            pdf.image(thumbnail(result), x=x, y=y, w=THUMB_MM, h=THUMB_MM)
            pdf.set_xy(x, y + THUMB_MM)
            pdf.set_font(FONT, size=6)
            caption = f"{number}. {display_name(result.label or result.group)} ({result.status})"
            pdf.multi_cell(THUMB_MM + 2, 3, printable(pdf, caption), align="L")
        pdf.set_font(FONT, size=9)
        pdf.set_y(y + THUMB_MM + 8)
