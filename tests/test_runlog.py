"""Tests of imbgraph.runlog: a job's stderr and logging go to its log file."""

from __future__ import annotations

import logging
import subprocess
import sys


def test_setup_sends_stderr_and_logging_to_the_log(tmp_path):
    log = tmp_path / "job.log"
    code = (
        "import logging, sys, warnings\n"
        "from imbgraph import runlog\n"
        f"progress = runlog.setup({str(log)!r})\n"
        "logging.getLogger('imbgraph.x').info('hello %d', 42)\n"
        "warnings.warn('careful')\n"
        "print('to stderr', file=sys.stderr)\n"
        "print('progress', progress)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    text = log.read_text()
    assert "imbgraph.x INFO hello 42" in text
    assert "careful" in text and "to stderr" in text
    assert proc.stderr == ""
    # Not a terminal: no progress bars (they would fill the log with carriage returns).
    assert proc.stdout.strip() == "progress False"
    logging.shutdown()
