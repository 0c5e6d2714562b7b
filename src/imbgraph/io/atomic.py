"""Atomic file writes: a crash never leaves a half-written file that looks finished."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary file lives in the same directory, so the final ``os.replace`` is atomic on
    POSIX file systems. On any exception the temporary file is removed and ``path`` is left
    untouched. ``suffix`` keeps an extension that a writer insists on (``np.save`` adds
    ``.npy`` to names that lack it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _finite_or_none(obj: Any) -> Any:
    # JSON has no NaN/inf; write null so every reader (polars included) can parse the file.
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as pretty, key-sorted JSON (stable bytes for the same content)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite_or_none(obj), indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())
