from collections import Counter

from bcds_core.dataset_index import IndexedImage
from bcds_core.paths import DATASET_DIR
from bcds_core.splits import assign_splits, read_split_csv


def _images(n_per_label: int) -> list[IndexedImage]:
    images = []
    for label, group in (("SNE", "neutrophil"), ("MY", "ig"), ("LY", "lymphocyte")):
        for i in range(n_per_label):
            images.append(IndexedImage(f"{group}/{label}_{i}.jpg", group, label, 360, 363, f"{label}{i:05d}"))
    return images


def test_split_is_deterministic_and_independent_of_order():
    images = _images(200)
    first = {r.path: r.split for r in assign_splits(images)}
    second = {r.path: r.split for r in assign_splits(list(reversed(images)))}
    assert first == second


def test_split_is_stratified_and_disjoint():
    rows = assign_splits(_images(200))
    counts = Counter((r.label, r.split) for r in rows)
    for label in ("SNE", "MY", "LY"):
        assert counts[(label, "test")] == 30 and counts[(label, "val")] == 20
    splits_of_hash = {}
    for row in rows:
        splits_of_hash.setdefault(row.sha256, set()).add(row.split)
    assert all(len(s) == 1 for s in splits_of_hash.values())


def test_duplicates_never_straddle_splits():
    images = _images(100)
    twin = IndexedImage("neutrophil/BNE_twin.jpg", "neutrophil", "BNE", 360, 363, images[0].sha256)
    rows = {r.path: r.split for r in assign_splits(images + [twin])}
    assert rows["neutrophil/BNE_twin.jpg"] == rows[images[0].path]


def test_committed_split_has_disjoint_content():
    rows = read_split_csv(DATASET_DIR / "pbc_split.csv")
    assert len(rows) > 14000
    split_of = {}
    for row in rows:
        assert split_of.setdefault(row.sha256, row.split) == row.split
    counts = Counter(r.split for r in rows)
    assert counts["test"] > 2000 and counts["val"] > 1400
