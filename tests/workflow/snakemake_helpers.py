"""Run the workflow from tests: in a temporary working directory, with a given config."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


FAMILIES = ("linkage", "nodecls", "graphcls")


def write_config(workdir: Path, name: str = "tiny.yaml", **overrides) -> Path:
    """Copy config/<name> into ``workdir`` with table references made absolute.

    ``overrides`` replace top-level keys; a family's (``linkage={...}``) updates that
    section key by key instead.
    """
    cfg = yaml.safe_load((REPO / "config" / name).read_text())
    for table in cfg.get("tables", {}).values():
        if "reference" in table:
            table["reference"] = str(REPO / table["reference"])
    for key, value in overrides.items():
        if key in FAMILIES and key in cfg:
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


# Invocations that run no job (dry runs, lint, unlock) go through Snakemake's CLI entry
# point in this process: a fresh interpreter would add a second or more of imports to each.
IN_PROCESS = {"-n", "--dry-run", "--lint", "--unlock"}


def clone_layout(workdir: Path) -> Path:
    """``workdir`` laid out like a fresh clone (links to the Snakefile, workflow/, config/,
    profiles/), for running Snakemake as a user would from the repository root."""
    for name in ("Snakefile", "workflow", "config", "profiles"):
        (workdir / name).symlink_to(REPO / name)
    return workdir


def run_cli(args: list[str], cwd: Path) -> tuple[int, str]:
    """``snakemake *args`` in ``cwd``: its exit status and output (stdout + stderr)."""
    if IN_PROCESS & set(args):
        return _run_in_process(args, cwd)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([SNAKEMAKE, *args], capture_output=True, text=True, env=env, cwd=cwd)
    return proc.returncode, proc.stdout + proc.stderr


def _run_in_process(args: list[str], cwd: Path) -> tuple[int, str]:
    from snakemake.cli import main

    buf, here = io.StringIO(), os.getcwd()
    code = 0
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                main(list(args))
            except SystemExit as exit_:
                code = 0 if exit_.code in (None, 0) else exit_.code if isinstance(
                    exit_.code, int) else 1
    finally:
        os.chdir(here)
    return code, buf.getvalue()


def snakemake(workdir: Path, configfile: Path, *args: str, check: bool = True) -> str:
    """Run Snakemake on the repository's Snakefile inside ``workdir``; return its output."""
    cmd = ["--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(configfile), *args]
    code, out = run_cli(cmd, workdir)
    if check and code != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({code}):\n{out[-4000:]}")
    return out


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a (dry) run into {rule: count}."""
    counts: dict[str, int] = {}
    block = output.split("Job stats:", 1)
    if len(block) < 2:
        return counts
    for line in block[1].splitlines()[3:]:
        m = re.match(r"^(\S+)\s+(\d+)$", line.strip())
        if not m:
            break
        if m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts
