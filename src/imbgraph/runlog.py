"""Logging set-up for pipeline jobs: everything goes to the rule's log file; and, when a
run fails, the last lines of each failed job's log for the console (:func:`failed_log_tails`,
the Snakefile's ``onerror:``), which otherwise only says "check log file(s)"."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

#: how Snakemake's own log names the log files of a failed job
_FAILED = re.compile(r"^\s*log: (.+) \(check log file\(s\) for error details\)\s*$")


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


def failed_log_tails(snakemake_logs, lines: int = 20) -> str:
    """The last ``lines`` lines of the log of every job that failed, as Snakemake's own logs
    ``snakemake_logs`` (a path or a list of paths: the ``log`` of ``onerror:``) list them
    (``log: <files> (check log file(s) for error details)``), each under a header naming the
    file; empty when none is found or readable."""
    if isinstance(snakemake_logs, (str, os.PathLike)):
        snakemake_logs = [snakemake_logs]
    logs: list[str] = []
    for main in snakemake_logs or []:
        if not Path(main).is_file():
            continue
        for line in Path(main).read_text(errors="replace").splitlines():
            m = _FAILED.match(line)
            if m:
                logs += [f for f in (x.strip() for x in m.group(1).split(", "))
                         if f and f not in logs]
    out = []
    for f in logs:
        try:
            tail = Path(f).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        out += [f"--- last {len(tail)} lines of {f} ---", *tail]
    return "\n".join(out)
