"""Atomic file writes: a crash never leaves a half-written file that looks finished.

The temporary file gets the permissions a plain ``open()`` would give (``0o666`` minus the
umask), so results on a shared project or cluster directory stay readable by the group; and
a write that fails because the device is full says so, naming the file, whatever the writer
library reported (torch, for one, only says ``basic_ios::clear: iostream error``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class DiskFullError(OSError):
    """No space left on the device that holds an output (errno ENOSPC); the message names
    the file."""


def _device_full(directory: Path) -> bool:
    try:
        st = os.statvfs(directory)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20  # under 1 MiB left: nothing sizeable fits


def _full_error(path: Path, err: BaseException) -> DiskFullError:
    return DiskFullError(
        errno.ENOSPC,
        f"{path}: could not be written: no space left on the device holding "
        f"{path.parent} ({type(err).__name__}: {err}); free some space and rerun",
    )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary file lives in the same directory, so the final ``os.replace`` is atomic on
    POSIX file systems. On any exception the temporary file is removed and ``path`` is left
    untouched; an exception caused by a full device becomes :class:`DiskFullError` naming
    ``path``. ``suffix`` keeps an extension that a writer insists on (``np.save`` adds
    ``.npy`` to names that lack it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException as err:
        tmp_path.unlink(missing_ok=True)
        if isinstance(err, DiskFullError):
            raise
        if (isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)) or (
            isinstance(err, Exception) and _device_full(path.parent)
        ):
            raise _full_error(path, err) from err
        raise


def write_bytes(data: bytes, path: str | os.PathLike) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(text.encode("utf-8"), path)


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
    write_text(json.dumps(_finite_or_none(obj), indent=2, sort_keys=True) + "\n", path)


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())
