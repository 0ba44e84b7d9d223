"""The differential: white cells in lineage order with percentages to one decimal; NRBC, platelets, smudge apart."""

from bcds_core.analysis import CellResult
from bcds_core.differential import APART, DIFFERENTIAL_ROWS, differential
from bcds_core.taxonomy import FINE_TO_GROUP, GROUP_ONLY_LABELS


def answer(label: str, status: str = "ok") -> CellResult:
    return CellResult(file=f"{label}.jpg", ok=True, label=label, status=status)


def test_rows_are_in_lineage_order_with_counts_and_percentages():
    results = [answer("SNE")] * 6 + [answer("LY")] * 3 + [answer("BLAST", "review")] + [answer("ERB")] * 2
    results += [answer("PLATELET"), answer("SMUDGE"), answer("MO", "rejected")]
    found = differential(results)
    assert [name for name, _, _ in found.rows] == [name for name, _ in DIFFERENTIAL_ROWS]
    counts = {name: (count, percent) for name, count, percent in found.rows}
    assert counts["Neutrophil (segmented)"] == (6, 60) and counts["Blast"] == (1, 10)
    assert counts["Monocyte"] == (0, 0)
    assert found.white_cells == 10 and found.nrbc_per_100_wbc == 20.0
    assert (found.platelets, found.smudge, found.rejected) == (1, 1, 1)


def test_an_empty_sample_has_no_percentages():
    found = differential([answer("MO", "rejected")])
    assert found.white_cells == 0 and all(p == 0 for _, _, p in found.rows)


def test_every_label_has_a_row_or_is_reported_apart():
    placed = {label for _, labels in DIFFERENTIAL_ROWS for label in labels} | set(APART)
    assert placed == set(FINE_TO_GROUP) | set(GROUP_ONLY_LABELS)


def test_the_chart_counts_white_cells_only_with_whole_ticks_and_numbers_on_bars():
    from bcds_ui.results_table import differential_count_figure

    results = [answer("LY")] * 2 + [answer("MO", "review"), answer("ERB"), answer("PLATELET")]
    figure = differential_count_figure(results + [answer("SNE", "rejected")])
    bars = {bar.name: dict(zip(bar.x, bar.y, strict=True)) for bar in figure.data}
    assert list(bars["ok"]) == [name for name, _ in DIFFERENTIAL_ROWS]
    assert bars["ok"]["Lymphocyte"] == 2 and bars["review"]["Monocyte"] == 1
    assert sum(bars["ok"].values()) + sum(bars["review"].values()) == 3
    assert "2" in figure.data[0].text and figure.layout.yaxis.dtick == 1
    assert "3 white cells; 1 image rejected" in figure.layout.title.text


def test_the_batch_table_shows_display_names_and_percentages_as_the_messages_give_them_and_no_none():
    from bcds_ui.results_table import display_frame, results_frame

    rejected = CellResult(file="x.png", ok=False, status="rejected", message="Not an image.")
    ok = CellResult(
        file="a.jpg",
        ok=True,
        group="ig",
        label="MMY",
        status="ok",
        group_confidence=0.425,
        label_confidence=0.8,
    )
    shown = display_frame(results_frame([ok, rejected]))
    assert shown.loc[0, ["group", "label", "group_confidence"]].tolist() == [
        "Immature granulocyte",
        "Metamyelocyte",
        "42.5%",
    ]
    assert shown.loc[1, ["group", "label", "label_confidence", "message"]].tolist() == [
        "",
        "",
        "",
        "Not an image.",
    ]
    assert not shown.isna().any().any() and "None" not in shown.to_string()


def test_the_review_line_counts_cells_to_look_at_and_those_that_may_be_blasts():
    from dataclasses import replace

    from bcds_core.screening import review_line

    flagged = replace(answer("MO", "review"), flags=("blast",))
    results = [answer("LY"), answer("SNE", "review"), flagged, flagged, answer("MO", "rejected")]
    assert (
        review_line(results) == "3 cells need a look (status review), 2 of them flagged as a possible blast."
    )
    assert review_line(results[:2]) == "1 cell needs a look (status review)."


def test_rows_of_the_same_count_read_alike_and_one_blast_in_two_hundred_is_not_zero():
    found = differential([answer(label) for label in ["SNE", "BNE", "MMY", "MY", "PMY", "BA", "EO"]])
    assert {p for _, c, p in found.rows if c} == {14.3}
    one_in_two_hundred = differential([answer("BLAST")] + [answer("SNE")] * 199)
    assert dict((n, p) for n, _, p in one_in_two_hundred.rows)["Blast"] == 0.5


def test_screening_says_when_it_cannot_judge_and_when_blasts_fall_short_of_its_rule():
    from bcds_core.screening import screen
    from bcds_core.taxonomy import group_of

    def cell(label, status="ok"):
        return CellResult(file=f"{label}.jpg", ok=True, label=label, group=group_of(label), status=status)

    assert screen([cell("MO", "rejected")]).message.startswith("Not screened: no white cells")
    short = screen([cell("BLAST"), cell("SNE")])
    assert not short.leukaemia_suspected
    assert short.message.startswith(
        "No leukaemia suspected, but 1 blast equivalent among 2 white cells (50.0%): the rule needs at least 2."
    )
    rare = screen([cell("BLAST")] * 2 + [cell("SNE")] * 39)  # 4.9 %, once shown as "5%"
    assert "(4.9%): the rule needs at least 5% of the white cells" in rare.message
    assert "need a look" not in rare.message  # none does
    assert screen([cell("SNE")]).message.startswith(
        "No blast equivalent among 1 white cell (0.0%): too few cells to rule leukaemia out"
    )
    assert screen([cell("SNE")] * 100).message.startswith(
        "No leukaemia suspected: no blast equivalent among 100"
    )
    for found in (short, rare, screen([cell("SNE")]), screen([cell("MO", "rejected")])):
        assert found.message.endswith("A screening aid for a person to check, not a diagnosis.")
    suspected = screen([cell("BLAST")] * 2 + [cell("ABPMY")] * 2 + [cell("SNE")])
    assert suspected.message.startswith(
        "Leukaemia suspected: 2 blasts, 2 abnormal promyelocytes among 5 white cells (80.0%)"
    )


def test_one_image_given_twice_is_one_cell_and_a_field_is_not_a_cell_of_the_screen():
    """Two copies of one blast (or the same file under two names) made a sample "suspected"; a smear
    field answered as one cell was counted as that cell."""
    from dataclasses import replace

    from bcds_core.screening import screen

    blast = replace(answer("BLAST", "review"), group="blast", file="a.jpg", content_key="k1")
    neutrophil = replace(answer("SNE"), group="neutrophil", content_key="k2")
    field = replace(neutrophil, file="field.jpg", status="review", content_key="k3", field_cells=1)
    cells = [blast, replace(blast, file="copy of a.jpg"), neutrophil, field]
    found = screen(cells)
    assert found.n == 2 and found.counts == {"blast": 1, "neutrophil": 1} and not found.leukaemia_suspected
    assert "1 duplicate image counted once." in found.message
    assert "1 smear field left out: screen their cells as fields." in found.message
    assert "1 cell needs a look (status review)." in found.message  # the copy and the field are not cells


def test_a_cell_counted_by_its_probability_says_so_in_the_message_and_among_the_driving_cells():
    """A monocyte without a flag among the cells that drove a screen, or "1 blast equivalent" beside a
    differential of no blasts, would contradict what the page shows next to it."""
    from dataclasses import replace

    from bcds_core.screening import screen

    likely = replace(answer("MO", "review"), group="monocyte", file="m.jpg", likely_blast_equivalent=True)
    blast = replace(answer("BLAST", "review"), group="blast", file="b.jpg")
    neutrophils = [replace(answer("SNE"), group="neutrophil", file=f"n{i}.jpg") for i in range(48)]
    found = screen([likely, *neutrophils])
    assert not found.leukaemia_suspected and found.message.startswith(
        "No leukaemia suspected, but 1 blast equivalent (0 blasts, 0 abnormal promyelocytes and 1 cell "
        "answered as another group but likely a blast or abnormal promyelocyte) among 49 white cells (2.0%)"
    )
    both = screen([likely, blast, *neutrophils])
    assert both.leukaemia_suspected is False  # 2 of 50 = 4 %
    assert both.driving_line() == "m.jpg (answered monocyte, likely a blast equivalent), b.jpg"
    # two uploads of one name (from two folders) keep their own notes
    same_name = screen([likely, replace(blast, file="m.jpg", content_key="k"), *neutrophils])
    assert same_name.driving_line() == "m.jpg (answered monocyte, likely a blast equivalent), m.jpg"


def test_the_screen_says_when_most_white_cells_were_read_at_a_pixel_size_nothing_measured():
    """A healthy sample of another microscope's tight crops was "suspected" at an assumed pixel size:
    the message says why the screen is unsure there, and leaves the decision as it is."""
    from dataclasses import replace

    from bcds_core.pixel_size import ASSUMED, ESTIMATED, PixelSize
    from bcds_core.screening import screen
    from bcds_core.taxonomy import group_of

    def cell(label, pixel_size):
        return CellResult(
            file=f"{label}.jpg",
            ok=True,
            label=label,
            group=group_of(label),
            status="review",
            pixel_size=pixel_size,
        )

    tight = PixelSize(0.07, ASSUMED, tight_crop=True)
    cellavision = PixelSize(0.1, ASSUMED, cellavision_frame=True)  # founded by the frame
    crops = screen([cell("BLAST", tight)] * 2 + [cell("SNE", tight)] * 10 + [cell("LY", cellavision)] * 2)
    assert crops.leukaemia_suspected
    assert "12 of the 14 white cells were read at an assumed pixel size" in crops.message
    half = screen([cell("SNE", tight)] + [cell("SNE", cellavision)])
    assert "1 of the 2 white cells was read at an assumed pixel size" in half.message
    assert crops.message.endswith("A screening aid for a person to check, not a diagnosis.")
    measured = [cell("SNE", PixelSize(0.09, ESTIMATED))] * 8
    assert "assumed pixel size" not in screen([cell("SNE", tight)] * 7 + measured).message
    assert "assumed pixel size" not in screen([cell("SNE", cellavision)] * 20).message
    unfounded = screen([cell("SNE", PixelSize(0.1, ASSUMED))] * 3)  # not a frame, no ruler
    assert "All 3 white cells were read at an assumed pixel size" in unfounded.message
    one = screen([cell("SNE", PixelSize(0.1, ASSUMED))])
    assert "The white cell was read at an assumed pixel size" in one.message
    # cells a person corrected are the person's answers, whatever their pixel size
    corrected = [replace(c, status="corrected") for c in [cell("SNE", tight)] * 3]
    assert "assumed pixel size" not in screen(corrected + [cell("SNE", tight)] * 2).message
