"""Run the workflow from tests: in a temporary working directory, with a given config."""

from __future__ import annotations

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


def snakemake(workdir: Path, configfile: Path, *args: str, check: bool = True) -> str:
    """Run Snakemake on the repository's Snakefile inside ``workdir``; return its output."""
    cmd = [
        SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(configfile), *args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir)
    out = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{out[-4000:]}")
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
