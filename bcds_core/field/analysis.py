"""A smear field in, every white cell's answer and the field's counts out.

The field is read at the models' pixel size (its red cells as the ruler, or
the pixel size given), white cells are found by their nuclei
(``detection``), and each is cut out as a CellaVision-sized canvas centred on
its nucleus and answered by the same analyzer as an uploaded cell: each
answer holds its mask and prepared cell, so the app explains it as it does an
uploaded cell. Boxes are reported in pixels of the uploaded image.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from bcds_core.analysis import CellAnalyzer, CellResult, content_key, is_greyscale
from bcds_core.differential import counted, differential
from bcds_core.field.detection import FoundCell, find_white_cells
from bcds_core.image_io import ImageDecodeError
from bcds_core.lab_profile import LabProfile
from bcds_core.pixel_size import ASSUMED, ESTIMATED, REFERENCE_PIXEL_UM, PixelSize, shrink
from bcds_core.preprocessing import CANVAS_ORIGINAL_SIDE, slide_colour, square_around, to_scale
from bcds_core.status import with_review_reason
from bcds_core.upload_reading import decode_for_reading

#: Longest side of the field a result keeps to show: read at the models' pixel size a field can
#: hold 25 MP (75 MB); the app's field cache then held one or two, and every rerun analysed each
#: field again and sent its full-size picture to the browser.
SHOWN_FIELD_SIDE = 1600
#: Fields of ``analyze-field``'s JSON (the command line's contract) and of each cell in it.
FIELD_CONTRACT_FIELDS = ("file", "ok", "error", "pixel_size_um", "cells", "counts", "message")
CELL_FIELDS = ("box", "group", "label", "group_confidence", "label_confidence", "status", "message")


@dataclass
class FieldCell:
    """One white cell of a field: where it is (pixels of the upload) and its answer."""

    box: list[int]
    result: CellResult

    def to_json(self) -> dict:
        answer = self.result.to_json()
        return {"box": self.box, **{key: answer[key] for key in CELL_FIELDS[1:]}}


@dataclass
class FieldResult:
    """The answer for one field. ``to_json`` gives the contract's fields.

    ``rgb`` is the field to show, at most ``SHOWN_FIELD_SIDE`` on its longest side, and ``scale`` its
    pixels per pixel of the upload.
    """

    file: str
    ok: bool
    error: str | None = None
    pixel_size_um: float | None = None
    cells: list[FieldCell] = field(default_factory=list)
    message: str = ""
    rgb: np.ndarray | None = None
    scale: float = 1.0

    @property
    def counts(self) -> dict[str, int]:
        """group -> cells answered (``ok`` or ``review``) in the field."""
        return dict(
            Counter(c.result.group for c in self.cells if c.result.group and c.result.status != "rejected")
        )

    def to_json(self) -> dict:
        answer = {key: getattr(self, key) for key in FIELD_CONTRACT_FIELDS}
        answer["cells"] = [c.to_json() for c in self.cells]
        return answer


@dataclass(frozen=True)
class FieldReading:
    """An uploaded field read at the models' pixel size.

    Attributes:
        rgb: HxWx3 uint8, the field at the models' pixel size.
        pixel_size: the pixel size of the decoded upload and where it came from.
        decoded_scale: pixels of the decoded upload per pixel of the file.
        to_upload: pixels of ``rgb`` per pixel of the file.
        upload_shape: (height, width) of the uploaded file, pixels.
        slide_rgb: the slide's colour, which pads a cell near the field's edge.
    """

    rgb: np.ndarray
    pixel_size: PixelSize
    decoded_scale: float
    to_upload: float
    upload_shape: tuple[int, int]
    slide_rgb: tuple[int, int, int]

    @property
    def um_per_file_pixel(self) -> float:
        """The pixel size of the uploaded file's own pixels (a large JPEG is decoded reduced)."""
        return self.pixel_size.um * self.decoded_scale

    def cell_canvas(self, centre: tuple[int, int]) -> np.ndarray:
        """The CellaVision-sized square of the field centred on ``centre`` (x, y in ``rgb``'s
        pixels), padded with the slide's colour: what the analyzer answers for one cell."""
        return square_around(self.rgb, centre, CANVAS_ORIGINAL_SIDE, self.slide_rgb)


def read_field(
    data: bytes, pixel_size_um: float | None = None, profile: LabProfile | None = None
) -> FieldReading:
    """The upload at the models' pixel size (given, the profile's, or measured on its red cells).

    Raises:
        ImageDecodeError: as ``decode_image``.
    """
    image, pixel_size = decode_for_reading(data, pixel_size_um, profile)
    scale = pixel_size.scale_to_reference
    rgb = to_scale(image.rgb, scale)
    upload_shape = tuple(round(side / image.scale) for side in image.rgb.shape[:2])
    return FieldReading(rgb, pixel_size, image.scale, image.scale * scale, upload_shape, slide_colour(rgb))


#: Why a greyscale field shows no white cell.
NO_COLOUR = " (the image has no colour: white cells are found by their stain)"


def found_line(cells: list[FieldCell], rgb: np.ndarray, um: float) -> str:
    """What a field's cells are, counted as the differential counts them, and the pixel size it was
    read at: the stain finds platelets and nucleated red cells too, and a blank, overexposed or
    unstained field says so, not "0 found"."""
    read_at = f"read at {um:.3f} um per pixel"
    if not cells:
        return f"No white cell found: nothing is stained like a nucleus{NO_COLOUR if is_greyscale(rgb) else ''}. {read_at.capitalize()}"
    white = differential([c.result for c in cells]).white_cells
    if white == len(cells):
        return f"{counted(white, 'white cell')} found, {read_at}"
    return (
        f"{counted(len(cells), 'cell')} found, {white} of them white "
        f"(the others counted apart: platelets, nucleated red cells, smudge cells), {read_at}"
    )


def centre_of(cell: FoundCell) -> tuple[int, int]:
    """The nucleus centre of a found cell, in whole pixels."""
    return int(round(cell.centre[0])), int(round(cell.centre[1]))


def analyze_field(
    analyzer: CellAnalyzer,
    name: str,
    data: bytes,
    pixel_size_um: float | None = None,
    profile: LabProfile | None = None,
) -> FieldResult:
    """Find, classify and count the white cells of one uploaded field; never raises for bad input."""
    try:
        reading = read_field(data, pixel_size_um, profile)
    except ImageDecodeError as error:
        return FieldResult(name, False, str(error), message=str(error))
    found = find_white_cells(reading.rgb)
    canvases = [(f"{name}#{i + 1}", reading.cell_canvas(centre_of(c))) for i, c in enumerate(found)]
    pixel_size = reading.pixel_size
    results = analyzer.analyze_arrays(canvases, replace(pixel_size, um=REFERENCE_PIXEL_UM), profile)
    upload = content_key(data)
    cells = []
    for number, (cell, result) in enumerate(zip(found, results, strict=True), start=1):
        result.content_key = f"{upload}#{number}"  # a field uploaded twice is screened once
        if cell.cut_by_border:  # a reason beside any other (a possible blast's among them)
            result.status, result.message = with_review_reason(
                result.status, result.message, "the cell is cut by the field's border"
            )
        cells.append(FieldCell([round(v / reading.to_upload) for v in cell.box], result))
    um = round(reading.um_per_file_pixel, 5)
    message = found_line(cells, reading.rgb, um) + {
        ASSUMED: " (assumed: no red cells to measure; give it if you know it)",
        ESTIMATED: " (measured on its red cells)",
    }.get(pixel_size.source, "")
    shown, shrunk_by = shrink(reading.rgb, SHOWN_FIELD_SIDE)
    return FieldResult(name, True, None, um, cells, message + ".", shown, reading.to_upload * shrunk_by)
