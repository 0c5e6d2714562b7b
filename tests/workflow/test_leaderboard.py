"""Dry runs of the leaderboard and the protocol sensitivity study: on the default config's
stand-ins and on config/real_leaderboard.yaml (its raw files stood in for by empty files, or
the shared datasets when IMBGRAPH_DATASETS is set); start-up errors naming the key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from snakemake_helpers import job_counts, snakemake, write_config

from imbgraph.nodecls import config as nccfg

pytestmark = pytest.mark.workflow

TARGETS = ("leaderboard_node", "protocol_sensitivity")


def test_default_config_builds_both_cheaply(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    counts = job_counts(snakemake(tmp_path, config, "-n", *TARGETS))
    # 7 GCN methods on 2 stand-ins under 4 protocols (the leaderboard's step and long tail
    # among them), each job training the 3 seeds; one split job per (graph, protocol)
    assert counts == {"build_node_graph": 2, "split_nodes": 8, "run_nodecls": 7 * 2 * 4,
                      "render_table": 1, "render_ranking": 1, "leaderboard_node": 1,
                      "protocol_sensitivity": 1}
    out = snakemake(tmp_path, config, "-n", "results/rankings/protocol_sensitivity_cd.png")
    assert job_counts(out)["render_ranking"] == 1


def real_root(tmp_path: Path) -> Path:
    """The shared datasets, else empty stand-ins of the five graphs' raw files (a dry run
    only checks that inputs exist)."""
    shared = os.environ.get("IMBGRAPH_DATASETS")
    if shared and (Path(shared) / "npz/ms_academic_cs.zip").exists():
        return Path(shared)
    root = tmp_path / "data"
    cfg = yaml.safe_load((Path(__file__).parents[2] / "config/real_leaderboard.yaml").read_text())
    section = {**cfg["nodecls"], "data_root": str(root)}
    for d in section["datasets"]:
        for f in nccfg.raw_files(section, d):
            Path(f).parent.mkdir(parents=True, exist_ok=True)
            Path(f).touch()
    return root


def test_real_config_dry_run(tmp_path):
    root = real_root(tmp_path)
    config = write_config(tmp_path, "real_leaderboard.yaml", nodecls={"data_root": str(root)})
    counts = job_counts(snakemake(tmp_path, config, "-n", *TARGETS))
    cfg = yaml.safe_load(config.read_text())
    methods = len(cfg["tables"]["leaderboard_node"]["rows"])
    protocols = cfg["rankings"]["protocol_sensitivity"]["protocols"]
    # every method on 5 graphs under 5 protocols (the leaderboard's 2 among them); METIS
    # once per graph for ECGN and its cluster baselines
    assert counts["run_nodecls"] == methods * 5 * len(protocols)
    assert counts["split_nodes"] == 5 * len(protocols)
    assert (counts["build_node_graph"], counts["metis_node_clusters"]) == (5, 5)
    assert counts["render_table"] == counts["render_ranking"] == 1
    assert set(cfg["tables"]["leaderboard_node"]["rows"]) == set(
        cfg["rankings"]["protocol_sensitivity"]["rows"]) == set(cfg["nodecls"]["methods"])


def test_a_bad_protocol_split_stops_at_start_up(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    cfg = yaml.safe_load(config.read_text())
    cfg["rankings"]["protocol_sensitivity"]["protocols"]["step"] = "nope"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(tmp_path, config, "-n", "leaderboard_node", check=False)
    assert re.search(r"rankings\.protocol_sensitivity\.protocols\.step: .*'nope'", out), out
