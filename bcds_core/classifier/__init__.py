"""The cell classifier: one network, 11 fine classes, groups as sums."""
