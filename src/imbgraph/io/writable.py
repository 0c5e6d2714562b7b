"""Start-up check that an output directory can be written, before any job is scheduled."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from imbgraph.errors import NotWritableError

__all__ = ["NotWritableError", "check_writable_dir"]


def _probe(directory: Path) -> str | None:
    """Why a file cannot be created in the existing directory ``directory`` (None: it can).

    ``os.access`` answers for ordinary users and read-only mounts; the temporary file (never
    visible: removed on close) answers for everything else, ACLs and quotas included.
    """
    if not os.access(directory, os.W_OK | os.X_OK):
        return "permission denied (not writable by this user)"
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return None


def check_writable_dir(path: str | os.PathLike, *, what: str = "results directory") -> None:
    """Raise :class:`NotWritableError` unless ``path`` is, or can be created as, a writable
    directory. Nothing is left behind: a missing ``path`` is not created, its nearest existing
    ancestor is checked instead."""
    path = Path(path)
    shown = f"{what} {str(path)!r}" + ("" if path.is_absolute() else f" ({path.absolute()})")
    expected = "expected a writable directory (every output, log and benchmark goes there)"
    if path.is_dir():
        reason = _probe(path)
        if reason:
            raise NotWritableError(f"{shown}: cannot create files in it: {reason}; {expected}")
        return
    if os.path.lexists(path):
        kind = "a broken symbolic link" if path.is_symlink() else "a file, not a directory"
        raise NotWritableError(f"{shown} is {kind}; {expected} - remove or rename it")
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NotWritableError(f"{shown} cannot be created: {str(parent)!r} is not a "
                               f"directory; {expected}")
    reason = _probe(parent)
    if reason:
        raise NotWritableError(f"{shown} cannot be created in {str(parent)!r}: {reason}; "
                               f"{expected}")
