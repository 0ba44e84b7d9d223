"""Helpers shared by the commands: loading the models with a clear failure."""

from __future__ import annotations

import sys


def load_analyzer():
    """The CellAnalyzer, or None after printing why the models cannot be loaded."""
    from bcds_core.analysis import CellAnalyzer
    from bcds_core.weights_io import WeightsError

    try:
        return CellAnalyzer()
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
