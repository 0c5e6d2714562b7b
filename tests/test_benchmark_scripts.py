"""The benchmark scripts the README prints as commands (``benchmarks/x.py args``) run as
printed: a shebang and the executable bit, and they start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# `benchmarks/<name>.py` at the start of a code span of the README: run as a command
PRINTED = sorted(set(re.findall(r"`(benchmarks/\w+\.py)[ `]",
                                (REPO / "README.md").read_text())))


def test_the_readme_prints_the_two_scripts():
    assert {"benchmarks/compare_tables.py", "benchmarks/target_times.py"} <= set(PRINTED)


@pytest.mark.parametrize("script", PRINTED)
def test_printed_script_has_a_shebang_and_the_executable_bit(script):
    path = REPO / script
    assert path.read_text().startswith("#!/usr/bin/env python3\n"), script
    assert os.access(path, os.X_OK), f"{script}: chmod +x"


def test_target_times_runs_as_printed(tmp_path):
    bench = tmp_path / "results/benchmarks/render_table"
    bench.mkdir(parents=True)
    (bench / "table1.tsv").write_text("s\tcpu_time\n1.0\t120.0\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    out = subprocess.run([str(REPO / "benchmarks/target_times.py"), "results/benchmarks"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert out.stdout == '{"target": "table1", "jobs": 1, "cpu_min": 2.0, "share": 1.0}\n'
