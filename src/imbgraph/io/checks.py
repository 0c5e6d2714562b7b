"""Checks of values read from raw files, shared by the readers: the error names the raw file
(and the row), not a file derived from it downstream."""

from __future__ import annotations

import numpy as np

from imbgraph.errors import InputError

__all__ = ["check_finite_features"]


def check_finite_features(x: np.ndarray, shown: str) -> None:
    """InputError naming ``shown`` (the raw file) and the first node whose feature row holds
    NaN or inf (numpy and scipy parse them happily; downstream they fail far from the file)."""
    bad = ~np.isfinite(x)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        i, j = int(rows[0]), int(np.flatnonzero(bad[rows[0]])[0])
        raise InputError(f"{shown}: the features of node {i} (row {i}, column {j}) are "
                         f"{x[i, j]}; {len(rows)} node(s) have NaN or inf features")
