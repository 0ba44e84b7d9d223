"""When a report folder was last written: part of the key of every cached reader of one.

The pages cache what they read from ``reports/`` for the life of the server. Keyed on the
folder alone, a page kept showing an evaluation or statistics after ``evaluate`` or ``stats``
had rewritten them, until the server restarted (the file watcher is off), and mixed the old
error list with the new thumbnails.
"""

from __future__ import annotations

from pathlib import Path


def written_at(path: str | Path) -> int | None:
    """The newest modification time (ns) of a file, or of the files directly in a folder; None if absent."""
    path = Path(path)
    candidates = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    times = [p.stat().st_mtime_ns for p in candidates if p.exists()]
    return max(times, default=None)
