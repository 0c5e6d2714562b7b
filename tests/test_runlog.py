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


def test_failed_log_tails_shows_the_end_of_each_failed_jobs_log(tmp_path):
    from imbgraph.runlog import failed_log_tails

    job = tmp_path / "job.log"
    job.write_text("".join(f"line {i}\n" for i in range(30)))
    other = tmp_path / "other.log"
    other.write_text("only line\n")
    main = tmp_path / "snakemake.log"
    # Snakemake's own log: a job's rule block (not failed) and two "Error in rule" blocks
    main.write_text(f"rule a:\n    log: {other}\n"
                    f"Error in rule a:\n    log: {job} (check log file(s) for error details)\n"
                    f"Error in rule b:\n    log: {other}, {tmp_path}/gone.log (check log "
                    "file(s) for error details)\n")
    out = failed_log_tails([str(main)], lines=3)
    assert out == (f"--- last 3 lines of {job} ---\nline 27\nline 28\nline 29\n"
                   f"--- last 1 lines of {other} ---\nonly line")
    assert failed_log_tails(str(tmp_path / "missing.log")) == ""
    assert failed_log_tails(None) == ""
