"""Every `snakemake` command the README shows works as printed: each is dry-run (`-n`) in a
fresh directory laid out like a clone (Snakefile, workflow/, config/, profiles/), so a README
example cannot rot. Commands that do not plan jobs are run as they are (`--unlock`, `--lint`)
or left to their own tests (`--report`: tests/workflow/test_report.py)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from snakemake_helpers import REPO, clone_layout, run_cli

pytestmark = pytest.mark.workflow


def readme_commands() -> list[str]:
    """The `snakemake ...` lines of the README's shell blocks, comments stripped."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("snakemake "):
                commands.append(line)
    return list(dict.fromkeys(commands))


COMMANDS = readme_commands()


def test_the_readme_shows_snakemake_commands():
    assert len(COMMANDS) >= 8, COMMANDS
    # `--configfile` takes several files: an option after it would be read as one more.
    for cmd in COMMANDS:
        args = shlex.split(cmd)
        if "--configfile" in args:
            after = args[args.index("--configfile") + 1:]
            assert len(after) == 1 or after[1].startswith("-"), cmd



def fake_data_files(workdir: Path, config_path: Path) -> None:
    """Stand-ins for the real data a config names (learn-to-cluster .bin/.meta pairs), so
    the start-up checks pass; a dry run reads nothing else. The node- and graph-
    classification configs read a `data_root` of raw files, which a dry run checks exist:
    it is linked to the shared datasets (IMBGRAPH_DATASETS), and the test skips without
    them."""
    cfg = yaml.safe_load(config_path.read_text())
    for family in ("nodecls", "graphcls"):
        root = cfg.get(family, {}).get("data_root")
        if root is None or (workdir / root).exists():
            continue
        shared = os.environ.get("IMBGRAPH_DATASETS")
        if not shared or not Path(shared).is_dir():
            pytest.skip(f"{config_path.name} reads real data: IMBGRAPH_DATASETS is unset")
        (workdir / root).symlink_to(Path(shared).resolve())
    for d in cfg.get("linkage", {}).get("datasets", {}).values():
        if d.get("source") != "learn_to_cluster":
            continue
        for part in ("train", "test"):
            feats, meta = workdir / d[part]["features"], workdir / d[part]["labels"]
            feats.parent.mkdir(parents=True, exist_ok=True)
            meta.parent.mkdir(parents=True, exist_ok=True)
            feats.write_bytes(b"\0" * 4 * d["dim"] * 2)
            meta.write_text("0\n1\n")


@pytest.mark.parametrize("cmd", COMMANDS)
def test_readme_command_works_as_printed(tmp_path, cmd):
    args = shlex.split(cmd)[1:]
    if "--report" in args:
        pytest.skip("a report needs a finished run: tests/workflow/test_report.py builds one")
    if "conda" in args and shutil.which("conda") is None and shutil.which("mamba") is None:
        pytest.skip("--sdm conda needs conda, which this machine does not have")
    workdir = clone_layout(tmp_path)
    for i, arg in enumerate(args):
        if arg == "--configfile":
            fake_data_files(workdir, workdir / args[i + 1])
        elif arg.startswith("--configfile="):
            fake_data_files(workdir, workdir / arg.split("=", 1)[1])
    if not {"--unlock", "--lint"} & set(args):
        args.append("-n")
    code, out = run_cli(args, workdir)
    assert code == 0, f"{cmd}\n{out[-3000:]}"
