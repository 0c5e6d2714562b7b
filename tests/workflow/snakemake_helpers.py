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


def changed_config(workdir: Path, change) -> Path:
    """``workdir``'s config.yaml with ``change(cfg)`` applied, written beside it as
    changed.yaml (what a rerun after a config edit reads)."""
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    change(cfg)
    path = workdir / "changed.yaml"
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


def run_workflow(workdir: Path, config: Path, *args: str) -> tuple[int, str]:
    """The repository's Snakefile in ``workdir`` on ``config`` (one core, failed jobs' logs
    shown): its exit status and output."""
    return run_cli(["--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
                    "--configfile", str(config), "--cores", "1", "--show-failed-logs", *args],
                   workdir)


def assert_no_temporaries(workdir: Path) -> None:
    results = workdir / "results"
    stray = [p for p in results.rglob("*") if ".tmp" in p.name] if results.exists() else []
    assert not stray, stray


def fails_at_startup(workdir: Path, config: Path, *expected: str,
                     before_dag: bool = True) -> str:
    """Dry-run the default target; it must stop before any job, naming every ``expected``
    (and, with ``before_dag``, before Snakemake builds the DAG: a config check; a missing
    input file is named while the DAG is built)."""
    code, out = run_workflow(workdir, config, "-n")
    assert code != 0, out[-3000:]
    for text in expected:
        assert text in out, f"{text!r} not in:\n{out[-3000:]}"
    if before_dag:
        assert "Building DAG of jobs" not in out, out[-3000:]
    assert not (workdir / "results").exists(), sorted((workdir / "results").rglob("*"))
    return out


def fails_in_job(workdir: Path, config: Path, rule: str, target: str, *expected: str,
                 log: str | None = None) -> str:
    """Build ``target``; job ``rule`` must fail naming every ``expected`` (in the output, and
    in the job's ``log`` when given), leaving no output of that job and no temporary file."""
    code, out = run_workflow(workdir, config, target)
    assert code != 0, out[-3000:]
    assert f"Error in rule {rule}" in out, out[-3000:]
    text = (workdir / log).read_text() if log is not None else None
    if log is not None:
        assert "Exiting because a job execution failed" in out, out[-3000:]
    for e in expected:
        assert e in out, f"{e!r} not in the output:\n{out[-3000:]}"
        if text is not None:
            assert e in text, f"{e!r} not in {log}:\n{text[-3000:]}"
    assert not (workdir / target).exists()
    assert_no_temporaries(workdir)
    return out


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


# --- methods of your own (tests/workflow/test_*_plugin.py) -----------------------------------
def readme_python(first_line: str) -> str:
    """The README's ```python block that starts with ``first_line`` (a worked example)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(rf"```python\n({re.escape(first_line)}.*?)```", text, flags=re.S)
    return code


@contextlib.contextmanager
def modules_on_path(folder: Path, modules: dict[str, str]):
    """Write ``modules`` (name -> source) into ``folder`` and put it on the Python path of
    this process (dry runs run in it) and of Snakemake's subprocesses (PYTHONPATH); the
    modules are forgotten afterwards."""
    import pytest

    for name, source in modules.items():
        (folder / f"{name}.py").write_text(source)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(folder))
        mp.setenv("PYTHONPATH", os.pathsep.join(
            [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))
        yield folder
    for name in modules:
        sys.modules.pop(name, None)
