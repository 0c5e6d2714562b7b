"""Runs that survive: the tiny config's Table 1 killed with SIGKILL at four points (kNN
search, subgraph materialisation, mid-training, propagation) and resumed with
``--rerun-incomplete`` ends with the same metrics files and table as the uninterrupted tiny
run, recomputing no finished job; and a clean rerun of Table 2 gives byte-identical metrics
files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from snakemake_helpers import REPO, SNAKEMAKE, snakemake, write_config

pytestmark = pytest.mark.workflow

TARGET = "table1"  # faces: every stage of a linkage run, 6 train and 6 evaluate jobs


def metrics_files(workdir: Path, only: set[str] | None = None) -> dict[str, bytes]:
    """Every metrics.json under results/ (relative path -> bytes), or those in ``only``."""
    root = workdir / "results"
    found = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("metrics.json"))}
    return found if only is None else {k: v for k, v in found.items() if k in only}


def deterministic_cells(workdir: Path, table: str) -> pl.DataFrame:
    # Every cell but wall-clock times.
    return pl.read_csv(workdir / f"results/tables/{table}.csv").filter(pl.col("metric") != "wall_s")


def test_two_clean_runs_give_byte_identical_metrics(tiny_run, tmp_path):
    ref_dir, _ = tiny_run
    config = write_config(tmp_path, "tiny.yaml")
    snakemake(tmp_path, config, "--cores", "2", "table2")  # a second, independent run
    again = metrics_files(tmp_path)
    ref = metrics_files(ref_dir, set(again))
    assert len(again) == 4 and ref.keys() == again.keys()  # 2 methods x 2 seeds
    assert [k for k in ref if ref[k] != again[k]] == []


def _kill_when(workdir: Path, config: Path, ready, what: str, timeout: float = 240) -> None:
    """Start the workflow (one job at a time) and SIGKILL its whole process group as soon as
    ``ready()`` holds."""
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), "--cores", "1", "--rerun-incomplete", TARGET]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.monotonic()
    try:
        while not ready():
            if proc.poll() is not None:
                pytest.fail(f"the run ended before {what}")
            if time.monotonic() - t0 > timeout:
                pytest.fail(f"no {what} within {timeout} s")
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _started(workdir: Path, rule: str):
    """True once a job of ``rule`` starts that had not started when this was called (a job's
    rule log appears as it starts)."""
    logs = workdir / "results/logs" / rule
    before = set(logs.rglob("*.log"))
    return lambda: bool(set(logs.rglob("*.log")) - before)


def _finished_outputs(workdir: Path) -> dict[Path, int]:
    """mtime of every result file a dry run does not plan to (re)write."""
    out = snakemake(workdir, workdir / "config.yaml", "-n", "--rerun-incomplete", TARGET)
    planned = set()
    for block in re.findall(r"output: ([^\n]+)", out):
        planned.update(s.strip() for s in block.split(","))
    files = {}
    for p in (workdir / "results").rglob("*"):
        rel = str(p.relative_to(workdir))
        if p.is_file() and not p.name.startswith(".") and "/logs/" not in f"/{rel}" \
                and "/benchmarks/" not in f"/{rel}" and "/checkpoints/" not in f"/{rel}" \
                and rel not in planned:
            files[p] = p.stat().st_mtime_ns
    return files


def _readable(path: Path) -> None:
    if path.suffix == ".parquet":
        pl.read_parquet(path)
    elif path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix == ".npy":
        np.load(path, mmap_mode="r")
    elif path.suffix == ".pt":
        import torch

        torch.load(path, map_location="cpu", weights_only=True)


def test_sigkill_at_four_points_then_resume(tiny_run, tmp_path):
    ref_dir, _ = tiny_run
    config = write_config(tmp_path, "tiny.yaml")
    checkpoints = tmp_path / "results/linkage/checkpoints"

    def ckpts():  # finished checkpoint files, not the temporary ones being written
        return [p for p in checkpoints.rglob("*.ckpt") if not p.name.startswith(".")]

    stages = [
        ("kNN search", lambda: _started(tmp_path, "knn_search")),
        ("subgraph materialisation", lambda: _started(tmp_path, "build_subgraphs")),
        ("training, after its first epoch", lambda: lambda: bool(ckpts())),
        ("propagation", lambda: _started(tmp_path, "evaluate_linkage")),
    ]
    resumed_ckpt, finished = None, {}
    for what, ready in stages:
        _kill_when(tmp_path, config, ready(), what)
        # Finished before this attempt: not recomputed by it.
        assert {p: p.stat().st_mtime_ns for p in finished} == finished, what
        if resumed_ckpt is None and ckpts():
            resumed_ckpt = ckpts()[0].relative_to(checkpoints)
        # A killed run leaves a lock; nothing it wrote may look finished without being so.
        snakemake(tmp_path, config, "--unlock")
        finished = _finished_outputs(tmp_path)
        for path in finished:
            _readable(path)
    snakemake(tmp_path, config, "--cores", "2", "--rerun-incomplete", TARGET)
    # Finished before the last kill: not recomputed.
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    # The training job killed mid-way resumed from its checkpoint.
    assert resumed_ckpt is not None
    history = tmp_path / "results/linkage/models" / str(resumed_ckpt).replace(".ckpt", ".json")
    assert json.loads(history.read_text())["resumed_from_epoch"] >= 1
    assert not ckpts()
    # Identical to the uninterrupted run.
    resumed = metrics_files(tmp_path)
    assert len(resumed) == 12 and resumed == metrics_files(ref_dir, set(resumed))
    # The rendered table reads the same; the tidy cells agree to the last few bits (polars may
    # sum a group's seeds in another order).
    md = "results/tables/table1.md"
    assert (tmp_path / md).read_text() == (ref_dir / md).read_text()
    assert_frame_equal(deterministic_cells(tmp_path, "table1"),
                       deterministic_cells(ref_dir, "table1"),
                       check_exact=False, rel_tol=1e-12, abs_tol=1e-15)
