"""Bad node-classification input through the real CLI: Snakemake stops naming the file, key
or value and what was expected, and leaves no output that looks finished. Most cases are unit
tests of the readers, splits, clusters and config checks (tests/io/test_planetoid.py,
test_gnn_benchmark.py, test_blogcatalog.py, tests/nodecls/data/test_splits.py,
tests/nodecls/methods/ecgn/test_clusters.py, tests/nodecls/test_config.py); here one of each
kind goes end to end: start-up cases as dry runs (no job runs, no results/ appears), data
cases in the first job that reads the bad values (no torch job: each takes a second or
two)."""

from __future__ import annotations

from pathlib import Path

import pytest
from snakemake_helpers import (
    REPO,
    fails_at_startup,
    fails_in_job,
    write_config,
)

pytestmark = pytest.mark.workflow








def tiny(workdir: Path, **nodecls) -> Path:
    return write_config(workdir, "tiny_nodecls.yaml", nodecls=nodecls)


def with_split(workdir: Path, name: str, **changes) -> Path:
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "tiny_nodecls.yaml").read_text())
    cfg["nodecls"]["splits"][name].update(changes)
    return tiny(workdir, splits=cfg["nodecls"]["splits"])


# --- start-up: no job runs ---------------------------------------------------------------
def test_missing_planetoid_file_is_named(tmp_path):
    raw = tmp_path / "data/planetoid/Cora/raw"
    raw.mkdir(parents=True)
    for part in ("x", "tx", "allx", "y", "ty", "ally", "graph"):  # no test.index
        (raw / f"ind.cora.{part}").write_bytes(b"\x80")
    config = tiny(tmp_path, data_root=str(tmp_path / "data"),
                  datasets={"tiny_cora": {"source": "planetoid", "path": "planetoid",
                                          "name": "Cora"},
                            "tiny_bots": {"source": "synthetic", "generator": "bots",
                                          "params": {"num_nodes": 400},
                                          "deepwalk": {"dim": 8}}})
    fails_at_startup(tmp_path, config, "Missing input files", "ind.cora.test.index",
                     before_dag=False)


def test_missing_data_root_is_named(tmp_path):
    config = tiny(tmp_path, data_root=str(tmp_path / "nowhere"),
                  datasets={"tiny_cora": {"source": "blogcatalog", "path": "bc.mat",
                                          "deepwalk": {"dim": 8}},
                            "tiny_bots": {"source": "synthetic", "generator": "bots",
                                          "params": {"num_nodes": 400},
                                          "deepwalk": {"dim": 8}}})
    fails_at_startup(tmp_path, config, "nodecls.datasets.tiny_cora.path",
                     f"{tmp_path}/nowhere/bc.mat does not exist")


def test_unknown_minority_class_is_named(tmp_path):
    config = with_split(tmp_path, "im05", minority=["Theory", "Quantum"])
    fails_at_startup(tmp_path, config, "nodecls.splits.im05.minority (dataset 'tiny_cora')",
                     "unknown class 'Quantum'")


@pytest.mark.parametrize("split, change, expected", [
    ("im05", {"imbalance_ratio": 1.5}, "1.5 is greater than the maximum of 1"),
    ("im05", {"imbalance_ratio": 0}, "0 is less than or equal to the minimum of 0"),
    ("lt20", {"rho": 0.5}, "0.5 is less than the minimum of 1"),
])
def test_out_of_range_values_are_named(tmp_path, split, change, expected):
    fails_at_startup(tmp_path, with_split(tmp_path, split, **change), expected, "nodecls")


def test_cluster_count_below_one_is_named(tmp_path):
    config = tiny(tmp_path, clusters={"metis_seed": 0, "k": {"tiny_cora": 0, "tiny_bots": 3}})
    fails_at_startup(tmp_path, config, "0 is less than the minimum of 1", "clusters")


# --- data: the first job that reads the bad values stops ------------------------------------
def test_truncated_mat_file_stops_the_graph_job(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data/bc.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 20)
    config = tiny(tmp_path, data_root=str(tmp_path / "data"),
                  datasets={"tiny_cora": {"source": "synthetic", "generator": "csbm",
                                          "params": {"profile": "cora", "num_nodes": 500}},
                            "tiny_bots": {"source": "blogcatalog", "path": "bc.mat",
                                          "deepwalk": {"dim": 8}}})
    target = "results/nodecls/data/tiny_bots/graph/nodes.parquet"
    out = fails_in_job(tmp_path, config, "build_node_graph", target,
                       f"{tmp_path}/data/bc.mat: not a readable MATLAB .mat file")
    # the Snakefile's onerror: the failed job's log's last lines on the console
    tail = out.split("--- last ")[-1]
    assert "lines of results/logs/build_node_graph/tiny_bots.log ---" in tail, out[-3000:]
    assert "InputError" in tail and "not a readable MATLAB .mat file" in tail
    assert not list((tmp_path / "results/nodecls/data/tiny_bots").rglob("*.*"))
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["bc.mat"]


def test_split_larger_than_a_class_stops_the_split_job(tmp_path):
    config = with_split(tmp_path, "im05", train_per_class=45)
    target = "results/nodecls/splits/tiny_cora/im05/seed0.parquet"
    fails_in_job(tmp_path, config, "split_nodes", target,
                 "nodecls.splits.im05: train_per_class asks for 45 nodes of class 1 "
                 "('Reinforcement_Learning'), which has only 41")
    assert not (tmp_path / "results/nodecls/splits/tiny_cora/im05/seed1.parquet").exists()


def test_split_error_names_the_per_dataset_entry(tmp_path):
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "tiny_nodecls.yaml").read_text())
    cfg["nodecls"]["splits"]["ecgn"]["per_dataset"]["tiny_cora"]["train_per_class"] = 45
    config = tiny(tmp_path, splits=cfg["nodecls"]["splits"])
    target = "results/nodecls/splits/tiny_cora/ecgn/seed0.parquet"
    fails_in_job(tmp_path, config, "split_nodes", target,
                 "nodecls.splits.ecgn.per_dataset.tiny_cora: train_per_class asks for 45 nodes "
                 "of class 1 ('Reinforcement_Learning'), which has only 41")


def test_method_cluster_count_above_the_node_count_is_named_at_start_up(tmp_path):
    # a synthetic graph's size is known before it exists: no job starts
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "tiny_nodecls.yaml").read_text())
    cfg["nodecls"]["methods"]["ECGN"]["balancing"]["clusters"] = 501
    config = tiny(tmp_path, methods=cfg["nodecls"]["methods"])
    fails_at_startup(tmp_path, config, "nodecls.methods.ECGN.balancing.clusters = 501 exceeds "
                                       "the 500 nodes of dataset 'tiny_cora'")


def test_more_clusters_than_nodes_is_named_at_start_up(tmp_path):
    config = tiny(tmp_path, clusters={"metis_seed": 0, "k": {"tiny_cora": 501, "tiny_bots": 3}})
    fails_at_startup(tmp_path, config, "nodecls.clusters.k.tiny_cora = 501 exceeds the 500 "
                                       "nodes of dataset 'tiny_cora'")
