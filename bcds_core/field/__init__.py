"""Whole smear fields: find every white cell, classify each like an uploaded cell, and count."""
