"""Why this class? Heat maps from the Grad-CAM family and LIME, behind one call.

``explain(analyzer, cell, method, target)`` returns an ``Explanation`` for any
registered method; ``METHODS`` lists them. The libraries (pytorch-grad-cam,
lime) do the work; this package only chooses targets and layers, and maps the
heat from the classifier's crop back onto the original image.
"""

from __future__ import annotations

from bcds_core.explain.base import Explanation
from bcds_core.explain.cam import CAM_METHODS, explain_with_cam
from bcds_core.explain.lime_method import explain_with_lime

#: method name -> display name, in the order the UI offers them.
METHODS: dict[str, str] = {
    **{name: spec.display_name for name, spec in CAM_METHODS.items()},
    "lime": "LIME (superpixels)",
}


def explain(analyzer, cell, method: str, target: int, progress=None) -> Explanation:
    """Explain ``analyzer``'s answer for a prepared cell.

    Args:
        analyzer: a loaded ``CellAnalyzer``.
        cell: the ``PreparedCell`` to explain.
        method: a key of ``METHODS``.
        target: index into ``taxonomy.FINE_CLASSES`` of the class to explain.
        progress: optional callback with the fraction done (LIME only; the CAMs take < 0.3 s).

    Raises:
        ValueError: for an unknown method.

    The analyzer's lock is held throughout: the CAMs hook the shared classifier.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown explanation method '{method}'; choose one of {sorted(METHODS)}.")
    with analyzer.lock:
        if method == "lime":
            return explain_with_lime(analyzer, cell, target, progress=progress)
        return explain_with_cam(analyzer, cell, method, target)


__all__ = ["METHODS", "Explanation", "explain"]
