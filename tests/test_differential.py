"""The differential: white cells in lineage order with whole percentages; NRBC, platelets, smudge apart."""

from bcds_core.analysis import CellResult
from bcds_core.differential import APART, DIFFERENTIAL_ROWS, differential
from bcds_core.taxonomy import FINE_TO_GROUP, GROUP_ONLY_LABELS


def answer(label: str, status: str = "ok") -> CellResult:
    return CellResult(file=f"{label}.jpg", ok=True, label=label, status=status)


def test_rows_are_in_lineage_order_with_counts_and_whole_percentages():
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
