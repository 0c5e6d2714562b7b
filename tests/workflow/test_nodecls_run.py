"""The node-classification family end to end on config/tiny_nodecls.yaml (one run per
module, shared by the tests): every GraphSMOTE and ECGN table and figure has finite cells
beside the paper's values, every run records the settings it used, the cached steps (graph,
DeepWalk, splits, METIS clusters per k, ECGN's pre-training) run once, a method's
hyperparameter change reruns only that method's runs, the logs show progress, and a rerun
(one job per seed this time) gives byte-identical metrics."""

from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest
from snakemake_helpers import changed_config, job_counts, snakemake, write_config

from imbgraph.nodecls.data.datasets import DEEPWALK_DEFAULTS
from imbgraph.nodecls.data.splits import PROTOCOL_DEFAULTS, SPLIT_DEFAULTS, resolve_spec

pytestmark = pytest.mark.workflow

SEEDS = [0, 1]
# (dataset, split, method) of every run job of the tiny config
RUNS = sorted(
    [("tiny_cora", "im05", m) for m in ("Origin", "GraphSMOTE_preO", "Origin_GCN",
                                        "GraphSMOTE_O_GCN", "GraphSMOTE_preO-scale1",
                                        "GraphSMOTE_preO-scale3")]
    + [("tiny_bots", "genuine", m) for m in ("Origin", "GraphSMOTE_preO")]
    + [("tiny_cora", "im02", m) for m in ("Origin", "GraphSMOTE_preO")]
    + [("tiny_cora", "lt20", m) for m in ("Origin", "Reweight")]
    + [("tiny_cora", "step10", m) for m in ("Origin_GCN", "ReNode_GCN", "BalancedSoftmax_GCN",
                                            "TAM_GCN")]
    # the leaderboard's long-tail column (its step column reuses the runs above)
    + [("tiny_cora", "lt20", m) for m in ("Origin_GCN", "ReNode_GCN", "BalancedSoftmax_GCN",
                                          "TAM_GCN")]
    + [("tiny_cora", "ecgn", m) for m in ("Origin", "ECGN_ClusterFeatures", "ECGN_CBSampling",
                                          "ECGN_ClusterGCN", "ECGN", "ECGN_Local",
                                          "ECGN_TransferBest", "ECGN-clusters2")]
    + [("tiny_bots", "ecgn", m) for m in ("ECGN", "ECGN-clusters2")])


@pytest.fixture(scope="module")
def nodecls_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("nodecls")
    config = write_config(workdir, "tiny_nodecls.yaml")
    out = snakemake(workdir, config, "--cores", "2", "all")
    return workdir, config, out


def test_every_cached_step_runs_once(nodecls_run):
    workdir, config, out = nodecls_run
    # One graph per dataset, DeepWalk once for the featureless one, one split job per
    # (dataset, split) for both seeds, one METIS partition per (dataset, k) whatever the
    # number of methods reading it, ECGN's pre-training once for the three runs sharing it.
    assert job_counts(out) == {"build_node_graph": 2, "deepwalk_features": 1,
                               "split_nodes": 7, "metis_node_clusters": 4, "pretrain_ecgn": 1,
                               "run_nodecls": len(RUNS), "render_table": 9, "render_ranking": 1,
                               "render_figure": 2, "all": 1}
    done = sorted((workdir / "results/logs/metis_node_clusters").rglob("*.log"))
    assert [p.relative_to(workdir / "results/logs/metis_node_clusters").as_posix()
            for p in done] == ["tiny_bots/k2.log", "tiny_bots/k3.log", "tiny_cora/k2.log",
                               "tiny_cora/k3.log"]
    assert "Nothing to be done" in snakemake(workdir, config, "-n", "all")


# table -> (built rows, metrics, {(row label, metric, dataset): the paper's value})
TABLES = {
    "graphsmote_table1": (["Origin", "GraphSMOTE_preO"], {"acc", "macro_auroc", "macro_f1"},
                          {("Origin", "acc", "tiny_cora"): 0.681,
                           ("GraphSMOTE_preO", "macro_f1", "tiny_cora"): 0.727,
                           ("Origin", "macro_auroc", "tiny_bots"): 0.577}),
    "graphsmote_table2": (["Origin", "GraphSMOTE_preO"], {"macro_auroc"},
                          {("Origin", "macro_auroc", "tiny_cora"): 0.8998}),
    "graphsmote_table3": (["Origin (GCN)", "GraphSMOTE_O (GCN)"],
                          {"acc", "macro_auroc", "macro_f1"},
                          {("GraphSMOTE_O (GCN)", "macro_f1", "tiny_cora"): 0.707}),
    "longtail": (["Origin", "Re-weight"], {"balanced_acc", "macro_f1"}, {}),
    "node_baselines": (["Origin (GCN)", "ReNode (GCN)", "Balanced Softmax (GCN)",
                        "BS + TAM (GCN)"], {"balanced_acc", "macro_f1"},
                       {("Origin (GCN)", "balanced_acc", "tiny_cora"): 0.6156,
                        ("ReNode (GCN)", "balanced_acc", "tiny_cora"): 0.666}),
    "ecgn_table2": (["Origin", "GraphSAGE (Cluster Features)", "CB-Sampling", "ClusterGCN",
                     "ECGN (With SMOTE)"], {"macro_f1", "acc"},
                    {("ECGN (With SMOTE)", "macro_f1", "tiny_cora"): 0.74}),
    "ecgn_table3": (["ECGN (Without Global Integration)", "ECGN (With SMOTE)"],
                    {"macro_f1", "acc"},
                    {("ECGN (Without Global Integration)", "macro_f1", "tiny_cora"): 0.32}),
    "ecgn_table4": (["Weight Transfer (Best)", "ECGN (With SMOTE)"], {"macro_f1", "acc"},
                    {("Weight Transfer (Best)", "macro_f1", "tiny_cora"): 0.67}),
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_tables_have_finite_cells_beside_the_papers(nodecls_run, table):
    workdir, _, _ = nodecls_run
    rows, metrics, paper = TABLES[table]
    cells = pl.read_csv(workdir / f"results/tables/{table}.csv")
    built = cells.filter(pl.col("n_seeds") > 0)
    assert built["method"].unique(maintain_order=True).to_list() == rows
    assert set(built["metric"]) == metrics
    assert set(built["n_seeds"]) == {len(SEEDS)}
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in built["mean"])
    assert all(math.isfinite(v) for v in built["std"])
    got = {(r["method"], r["metric"], r["dataset"]): r["paper"]
           for r in built.iter_rows(named=True)}
    for key, value in paper.items():
        assert got[key] == value, key
    if not paper:
        assert built["paper"].null_count() == built.height
    assert (workdir / f"results/tables/{table}.md").read_text().startswith("###")


def test_figures_plot_every_sweep_point(nodecls_run):
    workdir, _, _ = nodecls_run
    f3 = pl.read_csv(workdir / "results/figures/graphsmote_figure3.csv")
    swept = f3.filter(pl.col("method") != "Origin")
    assert sorted(set(zip(swept["scale"], swept["metric"]))) == [
        (1.0, "macro_auroc"), (1.0, "macro_f1"), (3.0, "macro_auroc"), (3.0, "macro_f1")]
    assert set(f3["method"]) == {"GraphSMOTE_preO-scale1", "GraphSMOTE_preO-scale3", "Origin"}
    f2 = pl.read_csv(workdir / "results/figures/ecgn_figure2.csv")
    # k = 3 is ECGN's own (declared) method: its runs are reused, not trained again
    assert sorted(zip(f2["series"], f2["clusters"], f2["method"])) == [
        ("tiny Cora", 2.0, "ECGN-clusters2"), ("tiny Cora", 3.0, "ECGN"),
        ("tiny bots", 2.0, "ECGN-clusters2"), ("tiny bots", 3.0, "ECGN")]
    for frame in (f3, f2):
        assert all(math.isfinite(v) for v in frame["mean"]) and set(frame["n_seeds"]) == {2}
    for name in ("graphsmote_figure3", "ecgn_figure2"):
        assert (workdir / f"results/figures/{name}.png").stat().st_size > 1000


def test_leaderboard_and_protocol_sensitivity(nodecls_run):
    workdir, _, _ = nodecls_run
    cells = pl.read_csv(workdir / "results/tables/leaderboard_node.csv")
    labels = ["Origin (GCN)", "ReNode (GCN)", "Balanced Softmax (GCN)", "BS + TAM (GCN)"]
    assert set(cells["method"]) == set(labels)
    runs = cells.filter(pl.col("n_seeds") > 0)
    assert set(runs["column"]) == {f"tiny_cora {s} {m}" for s in ("step 10", "LT 20")
                                   for m in ("Balanced ACC", "Macro-F1")}
    ranks = cells.filter(pl.col("column") == "Avg rank (Balanced ACC)")
    assert all(math.isfinite(v) for v in ranks["mean"])
    assert sum(ranks["mean"]) == pytest.approx(2 * (1 + 2 + 3 + 4) / 2)  # 4 methods, 2 cells
    assert ranks["mean"].to_list() == sorted(ranks["mean"].to_list())  # best first
    epoch = cells.filter(pl.col("column") == "Epoch (s), tiny_cora")["mean"]
    peak = cells.filter(pl.col("column") == "Peak RSS (MB), tiny_cora")["mean"]
    assert all(0 < v < 10 for v in epoch) and all(50 < v < 8000 for v in peak)
    md = (workdir / "results/tables/leaderboard_node.md").read_text()
    assert "Friedman chi2 = " in md and "Nemenyi CD at 0.05" in md
    taus = pl.read_csv(workdir / "results/rankings/protocol_sensitivity_tau.csv")
    assert taus.select("protocol_a", "protocol_b", "dataset").rows() == [
        ("step", "longtail", "all"), ("step", "longtail", "tiny_cora")]
    assert all(-1 <= t <= 1 for t in taus["tau"])
    per = pl.read_csv(workdir / "results/rankings/protocol_sensitivity_ranks.csv")
    assert set(per["protocol"]) == {"step", "longtail", "all"} and per.height == 12
    for name in ("protocol_sensitivity_ranks.png", "protocol_sensitivity_cd.png"):
        assert (workdir / "results/rankings" / name).stat().st_size > 1000
    assert "Kendall's tau-b" in (workdir / "results/rankings/protocol_sensitivity.md").read_text()


def test_every_run_records_the_settings_it_used(nodecls_run):
    workdir, _, _ = nodecls_run
    runs = sorted((workdir / "results/nodecls/runs").rglob("metrics.json"))
    assert len(runs) == len(RUNS) * len(SEEDS)
    assert sorted({tuple(p.parts[-5:-2]) for p in runs}) == RUNS
    for path in runs:
        metrics = json.loads(path.read_text())
        settings = json.loads(path.with_name("settings.json").read_text())
        timings = json.loads(path.with_name("timings.json").read_text())
        run = {k: metrics[k] for k in ("task", "dataset", "split", "method", "seed")}
        assert run["task"] == "nodecls"
        assert [run["dataset"], run["split"], run["method"], f"seed{run['seed']}"] == list(
            path.parts[-5:-1])
        assert {k: settings[k] for k in run} == run
        resolved = settings["resolved"]
        assert {"label", "model", "balancing", "loss", "train"} <= set(resolved)
        assert resolved["label"] == metrics["method_label"]
        assert resolved["train"]["max_epochs"] == 60 and resolved["model"]["hidden"] == 16
        assert settings["split_spec"]["protocol"] in ("artificial", "genuine", "longtail",
                                                      "step")
        assert settings["graph"]["nodes"] == {"tiny_cora": 500, "tiny_bots": 400}[run["dataset"]]
        assert sum(settings["split_counts"]["train"]) == metrics["train_size"]
        assert settings["versions"]["imbgraph"]
        for key in ("acc", "balanced_acc", "macro_f1", "macro_auroc"):
            assert 0 <= metrics[key] <= 1, (path, key)
        assert "seconds" not in metrics and timings["seconds"] > 0  # byte-stable metrics
    ecgn = json.loads((workdir / "results/nodecls/runs/tiny_bots/ecgn/ECGN-clusters2/seed0/"
                                 "settings.json").read_text())
    assert ecgn["resolved"]["balancing"]["clusters"] == 2 and ecgn["clusters"]["k"] == 2
    assert ecgn["split_spec"]["minority"] == ["bot"] and ecgn["minority"] == ["bot"]
    # the split and DeepWalk settings as resolved, every library default included
    assert ecgn["split_spec"] == resolve_spec(ecgn["split_spec"])
    defaults = {**SPLIT_DEFAULTS, **PROTOCOL_DEFAULTS["artificial"]}
    assert defaults.keys() <= ecgn["split_spec"].keys()
    assert ecgn["dataset_entry"]["deepwalk"] == {**DEEPWALK_DEFAULTS,
                                                 **ecgn["dataset_entry"]["deepwalk"]}
    assert DEEPWALK_DEFAULTS.keys() <= ecgn["dataset_entry"]["deepwalk"].keys()
    cached = json.loads((workdir / "results/nodecls/runs/tiny_cora/ecgn/ECGN_Local/seed1/"
                                   "settings.json").read_text())
    assert cached["cached_pretrain"] is True and cached["clusters"] == {"k": 3, "seed": 0}
    tam = json.loads((workdir / "results/nodecls/runs/tiny_cora/step10/TAM_GCN/seed0/"
                                "settings.json").read_text())
    assert tam["resolved"]["addons"] == [{"name": "tam", "alpha": 2.5, "beta": 0.5,
                                          "temperature": 1.2, "temperature_gamma": 0.4,
                                          "warmup": 3}]
    assert tam["split_counts"]["train"] == [20, 20, 20, 20, 2, 2, 2]
    assert tam["minority"] == ["Probabilistic_Methods", "Case_Based", "Rule_Learning"]  # ids 4-6
    gs = json.loads((workdir / "results/nodecls/runs/tiny_cora/im05/GraphSMOTE_preO-scale3/"
                               "seed0/settings.json").read_text())
    assert gs["resolved"]["balancing"]["scale"] == 3.0
    assert gs["resolved"]["balancing"]["pretrain_epochs"] == 10


def test_method_change_reruns_only_that_method(nodecls_run):
    workdir, _, _ = nodecls_run

    def pretrain(cfg):
        cfg["nodecls"]["methods"]["GraphSMOTE_preO"]["balancing"]["pretrain_epochs"] = 5

    out = snakemake(workdir, changed_config(workdir, pretrain), "-n", "all")
    # Its runs in Tables 1 (two datasets) and 2, and Figure 3's two sweep points (derived
    # from it); no graph, DeepWalk, split or METIS job.
    assert job_counts(out) == {"run_nodecls": 5, "render_table": 2, "render_figure": 1,
                               "all": 1}

    def transfer(cfg):
        cfg["nodecls"]["methods"]["ECGN_TransferBest"]["balancing"]["transfer"] = "largest"

    # The cached pre-training does not depend on the transfer strategy: one run job.
    out = snakemake(workdir, changed_config(workdir, transfer), "-n", "all")
    assert job_counts(out) == {"run_nodecls": 1, "render_table": 1, "all": 1}
    assert "method=ECGN_TransferBest" in out

    def epochs(cfg):
        for m in ("ECGN", "ECGN_Local", "ECGN_TransferBest"):
            cfg["nodecls"]["methods"][m]["balancing"]["pretrain_epochs"] = 25

    # New pre-training settings: the one shared pre-training, then its three runs and the
    # sweep points derived from ECGN (k = 2 on both datasets, ECGN on tiny_bots).
    out = snakemake(workdir, changed_config(workdir, epochs), "-n", "all")
    assert job_counts(out) == {"pretrain_ecgn": 1, "run_nodecls": 6, "render_table": 3,
                               "render_figure": 1, "all": 1}


def test_logs_show_progress(nodecls_run):
    workdir, _, _ = nodecls_run
    logs = workdir / "results/logs"
    expect = {
        "build_node_graph/tiny_cora.log": r"tiny_cora: NodeGraph\(nodes=500, edges=\d+, "
                                          r"features=16, classes=7\)",
        "deepwalk_features/tiny_bots.log": r"tiny_bots: DeepWalk features \(400, 17\)",
        "split_nodes/tiny_cora/im05.log": r"seed 1: training nodes per class \[5, 10, 5, 10, "
                                          r"10, 10, 5\]",
        "metis_node_clusters/tiny_cora/k3.log": r"tiny_cora: 3 clusters of sizes \[\d+, \d+, \d+\]",
        "run_nodecls/tiny_cora/im05/Origin.log": r"epoch 50 loss [\d.]+ val macro_f1 [\d.]+",
        "run_nodecls/tiny_cora/ecgn/ECGN.log":
            r"tiny_cora / ecgn / ECGN seed 1: acc [\d.]+, macro-F1 [\d.]+, macro AUC-ROC "
            r"[\d.]+ \(best epoch \d+ of \d+\) in [\d.]+ s",
    }
    for name, pattern in expect.items():
        assert re.search(pattern, (logs / name).read_text()), name
    pre = next((logs / "pretrain_ecgn/tiny_cora/ecgn").glob("k3_*.log")).read_text()
    assert re.search(r"seed 1: 3 cluster networks, \d+ epochs in [\d.]+ s", pre)


def test_rerun_one_seed_per_job_gives_identical_metrics(nodecls_run, tmp_path):
    """A fresh run of ECGN on the Cora stand-in with every seed a job of its own (its split
    and its cached pre-training too): the same bytes per seed."""
    workdir, _, _ = nodecls_run
    config = write_config(tmp_path, "tiny_nodecls.yaml", nodecls={"seeds_per_job": 1})
    rels = [f"results/nodecls/runs/tiny_cora/ecgn/ECGN/seed{seed}/metrics.json"
            for seed in SEEDS]
    out = snakemake(tmp_path, config, "--cores", "2", *rels)
    assert job_counts(out) == {"build_node_graph": 1, "split_nodes": 2,
                               "metis_node_clusters": 1, "pretrain_ecgn": 2, "run_nodecls": 2}
    for rel in rels:
        assert (tmp_path / rel).read_bytes() == (workdir / rel).read_bytes(), rel
    assert (tmp_path / "results/logs/run_nodecls/tiny_cora/ecgn/ECGN/seed1.log").exists()


def test_real_graphs_are_read_from_the_data_root(tmp_path):
    """config/real_nodecls.yaml pointed at the shared datasets: Cora, CiteSeer, Amazon
    Computers and BlogCatalog are read through the pipeline, and nothing is written beside
    the raw files."""
    import os
    from pathlib import Path

    root = Path(os.environ.get("IMBGRAPH_DATASETS", "/nonexistent"))
    needed = ["planetoid/Cora/raw", "planetoid/CiteSeer/raw",
              "npz/amazon_electronics_computers.zip", "blogcatalog/blogcatalog.mat"]
    if not all((root / p).exists() for p in needed):
        pytest.skip("IMBGRAPH_DATASETS is not set or lacks Cora, CiteSeer, Amazon Computers "
                    "or BlogCatalog")
    from imbgraph.nodecls.data.graph import read_graph

    before = sorted(str(p) for p in root.rglob("*"))
    config = write_config(tmp_path, "real_nodecls.yaml", nodecls={"data_root": str(root)})
    names = ("cora", "citeseer", "computers", "blogcatalog")
    targets = [f"results/nodecls/data/{d}/graph/nodes.parquet" for d in names]
    out = snakemake(tmp_path, config, "--cores", "2", *targets)
    assert job_counts(out) == {"build_node_graph": 4}
    graphs = {d: read_graph(*(tmp_path / f"results/nodecls/data/{d}/graph/{f}"
                              for f in ("features.npy", "edges.parquet", "nodes.parquet")))
              for d in names}
    cora = graphs["cora"]
    assert (cora.num_nodes, cora.num_edges, cora.num_features) == (2708, 5278, 1433)
    assert cora.class_counts().tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert cora.class_names[0] == "Theory" and cora.class_names[6] == "Rule_Learning"
    assert (graphs["citeseer"].num_nodes, graphs["citeseer"].num_features) == (3327, 3703)
    computers = graphs["computers"]
    assert (computers.num_nodes, computers.num_features, computers.num_classes) == (13752, 767, 10)
    assert computers.class_counts().tolist() == [436, 2142, 1414, 542, 5158, 308, 487, 818,
                                                 2156, 291]
    blog = graphs["blogcatalog"]
    assert (blog.num_nodes, blog.num_classes, blog.num_features) == (10312, 38, 0)
    assert sorted(str(p) for p in root.rglob("*")) == before
