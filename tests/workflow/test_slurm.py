"""profiles/slurm against a real SLURM: the tiny config's table2 through sbatch on a one-node
cluster started here (Debian's slurmctld + slurmd + munge, see slurm_cluster.py).

The profile is used as it is, with only what cannot hold on a test machine overridden on
the command line: the account and partition placeholders, every rule's memory (the node
has what this machine has), the status command (no slurmdbd, so no sacct; squeue sees
finished jobs for MinJobAge) and the status-check intervals. The node offers two stand-in
GPUs, so the training and evaluation jobs go in with the profile's own `--gpus=1
--cpus-per-gpu=<threads>`.

The first run meets a stale training checkpoint that cannot be resumed for one training
job: that job fails in SLURM, Snakemake reports it and exits non-zero, and
`keep-going` finishes everything that does not depend on it. With the checkpoint removed,
the rerun does only what is left and completes the table.

Needs root, the `slurm` extra (the executor plugin) and, when SLURM or munge are not
installed, apt-get (the fixture installs them). A SLURM already running on the machine is
left alone: the test starts its own daemons (own ports, own munge socket) and stops exactly
those. Skipped, with the reason, where that is impossible; IMBGRAPH_SLURM_TEST=1 turns the
skip into a failure (for CI machines that must run it).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import torch
import yaml
from slurm_cluster import SLURM_RUNS, SlurmCluster, SlurmUnavailable, ensure_installed
from snakemake_helpers import REPO, SNAKEMAKE, job_counts, write_config

pytestmark = pytest.mark.workflow

PROFILE = REPO / "profiles" / "slurm"
ACCOUNT = "imbgraph-test"
MEM_MB = 300  # per job; not enforced here (no cgroups), only scheduled
GPU_RULES = ("train_linkage", "evaluate_linkage")
# The training job that meets an unusable checkpoint in the first run.
BROKEN = {"dataset": "fashion", "split": "H3_S2", "method": "RIWS", "seed": "0"}
TABLE = "table2"  # fashion: 2 methods on one subset, every rule of a linkage run
BROKEN_CKPT = "results/linkage/checkpoints/{dataset}/{split}/{method}/seed{seed}.ckpt".format(**BROKEN)
BROKEN_LOG = "results/logs/train_linkage/{dataset}/{split}/{method}/seed{seed}.log".format(**BROKEN)
RUN_TIMEOUT = 420  # seconds per Snakemake run; a hang (e.g. a status command that never
#                    sees the jobs finish) fails the test instead of blocking the suite


def needs_plugin():
    pytest.importorskip("snakemake_executor_plugin_slurm",
                        reason="the slurm extra is not installed (pip install -e '.[slurm]')")


def profile_overrides(partition: str) -> list[str]:
    """Command-line options that override the profile's cluster-specific values.

    `--default-resources` / `--set-resources` on the command line replace the profile's
    whole mapping, so both are rebuilt from the profile with only these changes: account
    and partition, memory. Everything else (runtime per rule, gpu, cpus_per_gpu, job
    limits, executor) comes from profiles/slurm as a user gets it.
    """
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())

    def fmt(value):  # as Snakemake's profile parser passes a value on
        return repr(value) if isinstance(value, str) and value.isdigit() else str(value)

    default = {**profile["default-resources"], "slurm_account": ACCOUNT,
               "slurm_partition": partition, "mem_mb": MEM_MB}
    per_rule = {}
    for rule, res in profile["set-resources"].items():
        res = {**res, "mem_mb": MEM_MB}
        if "slurm_partition" in res:
            res["slurm_partition"] = partition
        per_rule[rule] = res
    return [
        "--profile", str(PROFILE),
        "--default-resources", *(f"{k}={fmt(v)}" for k, v in default.items()),
        "--set-resources", *(f"{r}:{k}={fmt(v)}" for r, res in per_rule.items()
                             for k, v in res.items()),
        # No slurmdbd: sacct has nothing; squeue keeps finished jobs for MinJobAge.
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--seconds-between-status-checks", "1",
    ]


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float


@dataclass
class SlurmRuns:
    cluster: SlurmCluster
    workdir: Path
    first: Run
    jobs_after_first: list[dict[str, str]]
    broken_log: str  # the failed job's rule log, as the first run left it
    table_after_first: bool
    rerun: Run
    jobs_after_rerun: list[dict[str, str]]
    dry_after: str
    details: dict[str, dict[str, str]]  # scontrol's view of every job, after both runs


def run_snakemake(workdir: Path, config: Path, env: dict, *args: str) -> Run:
    cmd = [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), *args]
    if SLURM_RUNS.cancelled:  # the session is ending (SLURM_RUNS.close)
        pytest.skip("the test session ended before the SLURM runs")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=workdir, env={**env, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    SLURM_RUNS.proc = proc  # killed if the session ends first
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()  # this Snakemake only; the cluster's teardown cancels its jobs
        out, _ = proc.communicate()
        pytest.fail(f"snakemake did not finish within {RUN_TIMEOUT}s:\n{out[-6000:]}")
    return Run(proc.returncode, out, time.monotonic() - start)


def job_details(cluster: SlurmCluster) -> dict[str, dict[str, str]]:
    """Per SLURM job id, what `scontrol show job` says (JobState, Comment, Account,
    Partition, TimeLimit, MinMemoryNode, TresPerJob, CpusPerTres, ...)."""
    out = subprocess.run(["scontrol", "show", "job", "--oneliner"], env=cluster.env,
                         capture_output=True, text=True, check=True).stdout
    jobs = {}
    for line in out.splitlines():
        fields = dict(m.groups() for m in re.finditer(r"(?:^|\s)([\w/:]+)=(\S*)", line))
        if "JobId" in fields:
            jobs[fields["JobId"]] = fields
    return jobs


def start_cluster() -> SlurmCluster:
    needs_plugin()
    required = os.environ.get("IMBGRAPH_SLURM_TEST") == "1"
    try:
        ensure_installed()
        cluster = SlurmCluster(gpus=2)
        SLURM_RUNS.add_cleanup(cluster.cleanup)  # run after the work has ended (close)
        cluster.start()
    except SlurmUnavailable as err:
        if required:
            pytest.fail(f"IMBGRAPH_SLURM_TEST=1 but no local SLURM cluster: {err}")
        pytest.skip(f"no local SLURM cluster: {err}")
    return cluster


def slurm_runs_in_background() -> SlurmRuns:
    """The cluster and both runs; started in a thread when the session has collected (see
    SLURM_RUNS in slurm_cluster.py), so its waiting overlaps the other tests."""
    cluster = start_cluster()
    workdir = Path(tempfile.mkdtemp(prefix="imbgraph-slurm-run-"))  # the cluster: imbgraph-slurm-*
    SLURM_RUNS.add_cleanup(lambda: shutil.rmtree(workdir, ignore_errors=True))
    # One seed and Table 2 (the fashion domain): 15 SLURM jobs, every rule of a linkage run.
    # One job per seed, as at paper scale on a cluster.
    config = write_config(workdir, "tiny.yaml", seeds=[0], linkage={"seeds_per_job": 1})
    args = profile_overrides(cluster.partition)

    # A checkpoint the training code cannot resume from (say, left by an older version):
    # the job stops with "not a training checkpoint ...; delete it to start afresh".
    ckpt = workdir / BROKEN_CKPT
    ckpt.parent.mkdir(parents=True)
    torch.save({"weights": {}}, ckpt)

    first = run_snakemake(workdir, config, cluster.env, *args, TABLE)
    (workdir / "first_run.txt").write_text(first.output)
    jobs_after_first = cluster.jobs()
    log = workdir / BROKEN_LOG
    broken_log = log.read_text() if log.exists() else ""
    table_after_first = (workdir / f"results/tables/{TABLE}.csv").exists()
    ckpt.unlink()  # what the job's error message says to do
    rerun = run_snakemake(workdir, config, cluster.env, *args, TABLE)
    (workdir / "rerun.txt").write_text(rerun.output)
    jobs_after_rerun = cluster.jobs()
    dry = run_snakemake(workdir, config, cluster.env, "-n", TABLE)
    return SlurmRuns(cluster, workdir, first, jobs_after_first, broken_log, table_after_first,
                     rerun, jobs_after_rerun, dry.output, job_details(cluster))


SLURM_RUNS.register(slurm_runs_in_background)


@pytest.fixture(scope="module")
def slurm_runs():
    try:
        yield SLURM_RUNS.result()
    finally:
        SLURM_RUNS.close()


def _by_rule(jobs):
    counts: dict[str, dict[str, int]] = {}
    for job in jobs:
        rule = job["comment"].removeprefix("rule_").split("_wildcards_")[0]
        states = counts.setdefault(rule, {})
        states[job["state"]] = states.get(job["state"], 0) + 1
    return counts


def _minutes(limit: str) -> int:
    """A SLURM time limit, [days-][hours:]minutes:seconds, in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return (int(days or 0) * 24 + hours) * 60 + minutes + (seconds > 0)


@pytest.mark.slurm
def test_failed_job_is_reported(slurm_runs):
    first = slurm_runs.first
    assert first.returncode != 0, first.output[-4000:]
    out = first.output
    assert "Error in rule train_linkage" in out, out[-4000:]
    failed = [j for j in slurm_runs.jobs_after_first if j["state"] != "COMPLETED"]
    assert len(failed) == 1, slurm_runs.jobs_after_first
    (job,) = failed
    assert job["state"] == "FAILED"
    wildcards = "{dataset}_{split}_{method}_{seed}".format(**BROKEN)
    assert job["comment"] == f"rule_train_linkage_wildcards_{wildcards}"
    # Snakemake names the SLURM job and its state.
    assert f"SLURM-job '{job['id']}' failed, SLURM status is: 'FAILED'" in out, out[-4000:]
    assert "not a training checkpoint" in slurm_runs.broken_log
    # The SLURM log of a failed job is kept (those of successful ones are removed).
    slurm_log = next((slurm_runs.workdir / ".snakemake/slurm_logs").glob(f"**/{job['id']}.log"))
    assert "Error in rule train_linkage" in slurm_log.read_text()
    # keep-going: everything but the failed job's evaluation and the table went through.
    done = _by_rule(slurm_runs.jobs_after_first)
    assert done["train_linkage"] == {"COMPLETED": 1, "FAILED": 1}
    assert done["evaluate_linkage"] == {"COMPLETED": 1}
    assert "render_table" not in done
    assert not slurm_runs.table_after_first


@pytest.mark.slurm
def test_rerun_completes_only_what_is_left(slurm_runs):
    rerun = slurm_runs.rerun
    assert rerun.returncode == 0, rerun.output[-4000:]
    counts = job_counts(rerun.output)
    assert counts.get("train_linkage") == 1 and counts.get("evaluate_linkage") == 1, counts
    assert set(counts) <= {"train_linkage", "evaluate_linkage", "render_table", TABLE}, counts
    seen = {j["id"] for j in slurm_runs.jobs_after_first}
    new = [j for j in slurm_runs.jobs_after_rerun if j["id"] not in seen]
    assert all(j["state"] == "COMPLETED" for j in new), new
    assert "Nothing to be done" in slurm_runs.dry_after


@pytest.mark.slurm
def test_table_is_complete(slurm_runs):
    tables = slurm_runs.workdir / "results/tables"
    cells = pl.read_csv(tables / f"{TABLE}.csv")
    assert cells.height == 4  # 2 methods x 1 subset x 2 metrics
    assert set(cells["n_seeds"]) == {1}
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in cells["mean"])
    assert "| Method |" in (tables / f"{TABLE}.md").read_text()
    assert (tables / f"{TABLE}.tex").stat().st_size > 0


@pytest.mark.slurm
def test_jobs_get_the_profiles_resources(slurm_runs):
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    per_rule = profile["set-resources"]
    jobs = list(slurm_runs.details.values())
    assert len(jobs) == len(slurm_runs.jobs_after_rerun)
    for job in jobs:
        rule = job["Comment"].removeprefix("rule_").split("_wildcards_")[0]
        assert job["Account"] == ACCOUNT
        assert job["Partition"] == slurm_runs.cluster.partition
        assert job["MinMemoryNode"] == f"{MEM_MB}M"
        runtime = per_rule.get(rule, {}).get("runtime", profile["default-resources"]["runtime"])
        assert _minutes(job["TimeLimit"]) == runtime, (rule, job["TimeLimit"])
        if rule in GPU_RULES:
            # sbatch --gpus=1 --cpus-per-gpu=<threads>: one (stand-in) card each.
            assert job.get("TresPerJob") == "gres:gpu:1", job
            assert job.get("CpusPerTres") == "gres:gpu:1", job  # tiny config: 1 thread
        else:
            assert "TresPerJob" not in job and job["NumCPUs"] == "1", job


# -- the profiles as written, without a cluster ------------------------------------------------


def _job_resources(dry_run_output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a dry run prints."""
    jobs, rule = [], None
    for line in dry_run_output.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            rule = m.group(1)
        elif line.strip().startswith("resources:") and rule:
            items = line.split(":", 1)[1].split(", ")
            jobs.append((rule, dict(item.strip().split("=", 1) for item in items)))
            rule = None
    return jobs


def test_slurm_profile_requests(tmp_path):
    """What every job of the tiny table1 asks SLURM for, with the profile unchanged."""
    needs_plugin()
    config = write_config(tmp_path, "tiny.yaml")
    out = run_snakemake(tmp_path, config, dict(os.environ), "--profile", str(PROFILE), "-n",
                        "table1")
    assert out.returncode == 0, out.output[-4000:]
    jobs = _job_resources(out.output)
    assert {rule for rule, _ in jobs} >= {"synthesize_faces", "knn_search", "build_subgraphs",
                                         *GPU_RULES, "render_table"}
    for rule, res in jobs:
        assert res["slurm_account"] == "CHANGE_ME_ACCOUNT", (rule, res)
        assert "runtime" in res and "mem_mb" in res, (rule, res)
        if rule in GPU_RULES:
            assert res["slurm_partition"] == "CHANGE_ME_GPU_PARTITION", (rule, res)
            assert res["gpu"] == "1" and res["cpus_per_gpu"] == "1", (rule, res)  # tiny: 1 thread
        else:
            assert res["slurm_partition"] == "CHANGE_ME_PARTITION", (rule, res)
            assert res.get("gpu", "0") == "0", (rule, res)


def test_local_profile_keeps_gpu_jobs_apart():
    from snakemake.cli import parse_args

    _, args = parse_args(["--profile", str(REPO / "profiles" / "local"), "all"])
    assert args.resources["gpu"].value == 1  # one card: one GPU job at a time
    assert args.cores == 8 and args.rerun_incomplete
