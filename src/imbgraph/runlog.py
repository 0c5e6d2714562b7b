"""Logging set-up for pipeline jobs: everything goes to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys


def setup(log_path: str | os.PathLike) -> bool:
    """Send stderr and ``logging`` (INFO) to ``log_path``; return whether to draw progress
    bars (only when the job's terminal is interactive, so logs stay readable lines)."""
    interactive = sys.__stderr__ is not None and sys.__stderr__.isatty()
    sys.stderr = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
    return interactive
