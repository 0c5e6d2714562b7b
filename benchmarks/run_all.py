#!/usr/bin/env python3
"""Run every benchmarks/bench_*.py, one after another, and stream their JSON lines.

Run as ``python benchmarks/run_all.py [NAME ...]`` (``make bench``); with names (e.g. ``knn``
``train``) only ``bench_<NAME>.py`` run. Each script runs in its own subprocess with this
interpreter, so thread settings and peak memory do not leak between them; they run in turn so
they do not compete for cores. Their stdout (one JSON object per measurement) is passed
through line by line, their stderr goes to stderr, and after each script one more line
records its exit code: {"name": "<script>_exit_code", "value": rc, "unit": "rc",
"target": 0, "ok": rc == 0}. Exits 1 when any script exited non-zero.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if not names:
        return found
    wanted = {n.removeprefix("bench_").removesuffix(".py") for n in names}
    missing = wanted - {p.stem.removeprefix("bench_") for p in found}
    if missing:
        raise SystemExit(f"no benchmark named {sorted(missing)} in {HERE}")
    return [p for p in found if p.stem.removeprefix("bench_") in wanted]


def run(script: Path) -> int:
    sys.stderr.write(f"== {script.name}\n")
    sys.stderr.flush()
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
    rc = proc.returncode
    sys.stderr.write(f"== {script.name}: exit {rc} in {time.perf_counter() - start:.1f}s\n")
    record = {"name": f"{script.stem}_exit_code", "value": rc, "unit": "rc", "target": 0,
              "ok": rc == 0}
    print(json.dumps(record), flush=True)
    return rc


def main(argv: list[str]) -> int:
    failed = [s.name for s in scripts(argv) if run(s) != 0]
    if failed:
        sys.stderr.write(f"benchmarks failed: {', '.join(failed)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
