"""The Calibrate page's labelled cells, kept for the session.

As on the Classify page (``batch_input``), Streamlit drops an uploader's files when its page is
left, and an uploader cannot be given them back: a lab that fitted a profile, looked at the
Classify page before using it and came back found its cells gone and its fit no longer usable
("the cells changed since the last fit"). So each uploader copies its files, as (name, bytes,
group), into the session when the user changes them, and the page reads the copies. A zip's cells
and the per-group uploads are kept apart, so removing the zip brings back the cells given group by
group.
"""

from __future__ import annotations

import streamlit as st

from bcds_core.lab_archive import ArchiveError, labelled_cells
from bcds_core.taxonomy import NORMAL_GROUPS, display_name

ZIP_KEY = "calibrate_zip"
#: Session-state key of the kept cells: uploader key -> [(name, bytes, group or None)], in upload order.
KEPT_KEY = "calibrate_kept_cells"
#: Session-state key of why the last zip could not be read.
ZIP_PROBLEM_KEY = "calibrate_zip_problem"
#: Labelled cells one fit takes: 20 of each normal group and more. A fit decodes every cell before it
#: classifies any, so this bounds the memory one session's fit can hold.
MAX_PROFILE_CELLS = 200

LabCell = tuple[str, bytes, str | None]


def keep_cells(uploader: str, group: str | None) -> None:
    """Copy ``uploader``'s files (a zip's cells, or ``group``'s images) into the session; called when
    the user changes them, so an empty uploader met again after a visit elsewhere changes nothing."""
    kept = st.session_state.setdefault(KEPT_KEY, {})
    files = st.session_state.get(uploader)
    if uploader != ZIP_KEY:
        kept[uploader] = [(f.name, f.getvalue(), group) for f in files or []]
        return
    st.session_state.pop(ZIP_PROBLEM_KEY, None)
    kept.pop(ZIP_KEY, None)
    if files is not None:
        try:
            kept[ZIP_KEY] = labelled_cells(files.getvalue())
        except ArchiveError as error:
            st.session_state[ZIP_PROBLEM_KEY] = str(error)


def uploaded_cells() -> list[LabCell]:
    """Labelled cells from a zip of ``<group>/<image>`` folders, or from one uploader per group, as
    last uploaded (at most ``MAX_PROFILE_CELLS``)."""
    st.file_uploader(
        "A zip of folders named after the groups",
        type="zip",
        key=ZIP_KEY,
        on_change=keep_cells,
        args=(ZIP_KEY, None),
    )
    if problem := st.session_state.get(ZIP_PROBLEM_KEY):
        st.error(problem)
    kept = st.session_state.get(KEPT_KEY, {})
    if ZIP_KEY in kept:
        if st.session_state.get(ZIP_KEY) is not None:
            st.caption("The zip's cells are used; remove it to give cells group by group instead.")
        cells, shown = kept[ZIP_KEY], [ZIP_KEY]
    else:
        columns, cells, shown = st.columns(4), [], []
        for i, group in enumerate(NORMAL_GROUPS):
            key = f"calibrate_{group}"
            columns[i % 4].file_uploader(
                display_name(group),
                accept_multiple_files=True,
                key=key,
                on_change=keep_cells,
                args=(key, group),
            )
            cells += kept.get(key, [])
            shown.append(key)
    if cells and not any(st.session_state.get(key) for key in shown):
        st.caption(f"{len(cells)} cells kept from your last upload; upload again to replace them.")
        if st.button("Clear them", key="calibrate_clear_cells"):
            st.session_state.pop(KEPT_KEY, None)
            st.rerun()
    if len(cells) > MAX_PROFILE_CELLS:
        st.warning(f"{len(cells)} cells given; the first {MAX_PROFILE_CELLS} are used.")
        cells = cells[:MAX_PROFILE_CELLS]
    return cells
