"""Reader for the learn-to-cluster format shared by CDP, L-GCN, GCN-V/E and DIGL.

``features/<name>.bin`` holds raw little-endian float32 rows (N x D, no header) and
``labels/<name>.meta`` one integer label per line; N is the ``.meta`` line count.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imbgraph.io.splits import Split


def read_meta(path: str | os.PathLike) -> np.ndarray:
    """Integer labels, one per line; the error names the file, line and offending text."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: label file (.meta) not found")
    lines = path.read_text().splitlines()
    labels = np.empty(len(lines), dtype=np.int64)
    for i, line in enumerate(lines):
        text = line.strip()
        try:
            labels[i] = int(text)
        except ValueError:
            got = f"{text!r}" if text else "an empty line"
            raise ValueError(
                f"{path}:{i + 1}: expected one integer label per line, got {got}"
            ) from None
    if len(labels) == 0:
        raise ValueError(f"{path}: no labels (expected one integer per line)")
    return labels


def read_bin(path: str | os.PathLike, n: int, dim: int) -> np.ndarray:
    """Raw float32 N x D features, checked against the expected size and for NaN/inf/zero rows."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: feature file (.bin) not found")
    expected = n * dim * 4
    actual = path.stat().st_size
    if actual != expected:
        raise ValueError(
            f"{path} is {actual} bytes; expected N x D x 4 = {n} x {dim} x 4 = {expected} "
            f"(N from the .meta line count, D = {dim} from the config)"
        )
    feats = np.fromfile(path, dtype="<f4").reshape(n, dim)
    bad = ~np.isfinite(feats).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{path}: {len(rows)} feature rows contain NaN or inf (first row {rows[0]}); "
            "expected finite float32 values"
        )
    return feats


def l2_normalise(feats: np.ndarray, *, source: str = "features") -> np.ndarray:
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if len(zero):
        raise ValueError(
            f"{source}: {len(zero)} feature rows have zero norm (first row {zero[0]}); "
            "they cannot be L2-normalised (expected every row to have a non-zero value)"
        )
    return (feats / norms).astype(np.float32)


def read_learn_to_cluster(
    features: str | os.PathLike, labels: str | os.PathLike, *, dim: int
) -> Split:
    """Read a ``.bin``/``.meta`` pair into an L2-normalised :class:`Split`."""
    y = read_meta(labels)
    x = read_bin(features, n=len(y), dim=dim)
    return Split(l2_normalise(x, source=str(features)), y, np.arange(len(y), dtype=np.int64))
