"""Streamlit helpers shared by the pages: cached model loading and common widgets.

Only the UI imports this package; it turns core results into widgets and
never holds model or statistics code itself.
"""
