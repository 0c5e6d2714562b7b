"""The graph-classification family end to end on config/tiny_graphcls.yaml (one run per
module, shared by the tests): every UniImb table has finite cells beside the paper's values
and the paper's rows not built here, every run records the settings it used, the cached
steps (collection, random-walk PE, G2GNN's kNN table, splits, InfoGraph's pre-training) run
once per dataset, a method's
hyperparameter change reruns only that method's runs, the logs show progress, and a rerun
(one job per seed this time) gives byte-identical metrics."""

from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest
from snakemake_helpers import changed_config, job_counts, snakemake, write_config

pytestmark = pytest.mark.workflow

SEEDS = [0, 1]
# (split, method) of every run job of the tiny config: 6 on the class split, 2 on topology.
RUNS = [("class", m) for m in ("GIN", "GIN-up", "InfoGraph-up", "G2GNN-mn", "UniImb",
                                "UniImb-zipf")] + [("topology", "GIN"), ("topology", "UniImb")]


@pytest.fixture(scope="module")
def graphcls_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("graphcls")
    config = write_config(workdir, "tiny_graphcls.yaml")
    out = snakemake(workdir, config, "--cores", "2", "all")
    return workdir, config, out


def test_every_cached_step_runs_once_per_dataset(graphcls_run):
    workdir, config, out = graphcls_run
    # One collection, one PE and one kNN table for the one dataset, one split job per
    # protocol (both seeds), one InfoGraph pre-training (both seeds), one run job per
    # (split, method), one job per table.
    assert job_counts(out) == {"synthesize_graphs": 1, "random_walk_pe": 1,
                               "graph_kernel_knn": 1, "split_graphs": 2, "pretrain_graphcls": 1,
                               "run_graphcls": len(RUNS), "render_table": 3,
                               "trace_graphcls": 2 * len(SEEDS), "render_convergence": 1,
                               "render_claims": 1, "all": 1}
    assert "Nothing to be done" in snakemake(workdir, config, "-n", "all")


def test_convergence_figure_from_traced_runs(graphcls_run):
    """uniimb_convergence: one traced run per method and seed, trained for the largest budget
    without early stopping; the figure's points come from the trace files."""
    workdir, _, _ = graphcls_run
    pts = pl.read_csv(workdir / "results/figures/uniimb_convergence.csv")
    assert pts["method"].unique(maintain_order=True).to_list() == ["GIN-up", "UniImb"]
    assert pts["budget"].to_list() == [2, 4, 8] * 2 and set(pts["n_seeds"]) == {len(SEEDS)}
    assert (workdir / "results/figures/uniimb_convergence.png").stat().st_size > 1000
    trace = json.loads((workdir / "results/graphcls/traces/toy/class/UniImb/epochs8/seed0.json")
                       .read_text())
    assert trace["epochs"] == 8 and trace["settings"]["method"] == "UniImb"
    assert trace["rows"][0][0] == 0 and len(trace["val_loss"]) == 8
    # the largest budget's point is the full run's selection, as a table run of 8 epochs
    # without early stopping would report
    last = pts.filter((pl.col("method") == "UniImb") & (pl.col("budget") == 8))
    per_seed = [json.loads((workdir / f"results/graphcls/traces/toy/class/UniImb/epochs8/"
                                      f"seed{s}.json").read_text())["rows"][-1][2] for s in SEEDS]
    assert last["mean"][0] == pytest.approx(sum(per_seed) / len(per_seed))


@pytest.mark.parametrize("table, rows, split", [
    ("uniimb_table1", ["UniImb (Zipf)", "UniImb"], "class"),
    ("uniimb_table2", ["GIN", "GIN (up-sampling)", "InfoGraph (up-sampling)",
                       "G2GNN (mask node)", "UniImb"], "class"),
    ("uniimb_table3", ["GIN", "UniImb"], "topology"),
])
def test_tables_have_finite_cells_beside_the_papers(graphcls_run, table, rows, split):
    workdir, _, _ = graphcls_run
    cells = pl.read_csv(workdir / f"results/tables/{table}.csv")
    built = cells.filter(pl.col("n_seeds") > 0)
    assert built["method"].unique(maintain_order=True).to_list() == rows
    assert built.height == 2 * len(rows)  # one dataset x (macro-F1, micro-F1)
    assert set(built["metric"]) == {"macro_f1", "micro_f1"}
    assert set(built["dataset"]) == {"toy"} and set(built["split"]) == {split}
    assert set(built["n_seeds"]) == {len(SEEDS)}
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in built["mean"])
    assert all(math.isfinite(v) for v in built["std"])
    # The paper's PROTEINS column beside every built cell (reported for every row here).
    assert all(0 < v < 1 for v in built["paper"])
    md = (workdir / f"results/tables/{table}.md").read_text()
    assert "Macro-F1 PROTEINS" in md and "Micro-F1 PROTEINS" in md


def test_papers_values_and_the_rows_not_built(graphcls_run):
    workdir, _, _ = graphcls_run
    t2 = pl.read_csv(workdir / "results/tables/uniimb_table2.csv")
    paper = {(r["method"], r["metric"]): r["paper"] for r in t2.iter_rows(named=True)}
    assert paper[("GIN", "macro_f1")] == 0.2533 and paper[("UniImb", "micro_f1")] == 0.7450
    missing = t2.filter(pl.col("method") == "ImbGNN")
    assert missing["n_seeds"].to_list() == [0, 0] and missing["mean"].null_count() == 2
    assert missing["paper"].to_list() == [0.6769, 0.7324]
    md = (workdir / "results/tables/uniimb_table2.md").read_text()
    assert "| ImbGNN | — (0.6769) | — (0.7324) |" in md
    assert "not built here (ImbGNN: not built in this round)" in md
    t3 = (workdir / "results/tables/uniimb_table3.md").read_text()
    assert "| ImbGNN | — (0.6687) | — (0.6707) |" in t3
    t1 = pl.read_csv(workdir / "results/tables/uniimb_table1.csv")
    assert t1.filter(pl.col("method") == "UniImb (Zipf)")["paper"].to_list() == [0.6780, 0.7329]


def test_every_run_records_the_settings_it_used(graphcls_run):
    workdir, _, _ = graphcls_run
    runs = sorted((workdir / "results/graphcls/runs").rglob("metrics.json"))
    assert len(runs) == len(RUNS) * len(SEEDS)
    for path in runs:
        metrics = json.loads(path.read_text())
        settings = json.loads(path.with_name("settings.json").read_text())
        timings = json.loads(path.with_name("timings.json").read_text())
        run = {k: metrics[k] for k in ("task", "dataset", "split", "method", "seed")}
        assert run["task"] == "graphcls" and run["dataset"] == "toy"
        assert [run["split"], run["method"], f"seed{run['seed']}"] == list(path.parts[-4:-1])
        assert {k: settings[k] for k in run} == run
        assert {k: timings[k] for k in run} == run and timings["wall_s"] > 0
        resolved = settings["resolved"]
        assert {"label", "kind", "model", "balance", "params", "train"} <= set(resolved)
        assert resolved["label"] == metrics["method_label"]
        assert resolved["train"]["epochs"] == 8 and resolved["model"]["hidden"] == 16
        assert settings["pe"] == {"dim": 3, "method": "half"}
        assert settings["node_features"] == "labels"
        assert settings["split_protocol"] == {"class": "class_imbalance",
                                              "topology": "topology_imbalance"}[run["split"]]
        assert sum(settings["split_info"]["train_per_class"]) <= metrics["train_size"]
        assert settings["versions"]["imbgraph"]
        for key in ("macro_f1", "micro_f1", "acc", "balanced_acc", "macro_auroc"):
            assert 0 <= metrics[key] <= 1, (path, key)
        assert "wall_s" not in metrics  # timings apart: metrics stay byte-stable
    g2gnn = json.loads((workdir / "results/graphcls/runs/toy/class/G2GNN-mn/seed0/"
                                  "settings.json").read_text())
    assert g2gnn["knn"] == {"kernel": "wl", "k": 2, "iterations": 2}
    assert g2gnn["resolved"]["params"]["augment"] == {  # the kind's defaults filled in
        "name": "mask_node", "ratio": 0.1, "views": 2, "temp": 0.5, "consistency": 1.0}
    assert g2gnn["resolved"]["params"]["prop_layers"] == 2
    assert json.loads((workdir / "results/graphcls/runs/toy/class/GIN/seed1/settings.json")
                      .read_text())["knn"] is None


def test_method_change_reruns_only_that_method(graphcls_run):
    workdir, _, _ = graphcls_run

    def bias(cfg):
        cfg["graphcls"]["methods"]["UniImb-zipf"]["params"]["bias_step"] = 0.02

    out = snakemake(workdir, changed_config(workdir, bias), "-n", "all")
    # Its one run job (both seeds), then its table and the claims that compare it: no
    # collection, PE, kNN or split job.
    assert job_counts(out) == {"run_graphcls": 1, "render_table": 1, "render_claims": 1,
                               "all": 1}
    assert "method=UniImb-zipf" in out and not re.search(r"method=UniImb$", out, re.M)

    def pe(cfg):
        cfg["graphcls"]["datasets"]["toy"]["pe_dim"] = 4

    # A new PE width: the one PE job, then every pre-training, run and trace that reads it;
    # not the collection.
    out = snakemake(workdir, changed_config(workdir, pe), "-n", "all")
    assert job_counts(out) == {"random_walk_pe": 1, "pretrain_graphcls": 1,
                               "run_graphcls": len(RUNS),
                               "trace_graphcls": 2 * len(SEEDS), "render_convergence": 1,
                               "render_table": 3, "render_claims": 1, "all": 1}


def test_logs_show_progress(graphcls_run):
    workdir, _, _ = graphcls_run
    logs = workdir / "results/logs"
    expect = {
        "synthesize_graphs/toy.log": r"toy: 100 graphs, \d+ nodes, \d+ edges, 3 node features",
        "random_walk_pe/toy.log": r"random-walk PE of \d+ nodes, walks of 1\.\.3 steps",
        "graph_kernel_knn/toy/wl-k2-iterations2.log": r"wl kernel: 2 nearest graphs of each of 100",
        "split_graphs/toy/class.log": r"seed 1: 30 train, 20 val, 50 test graphs",
        "run_graphcls/toy/class/GIN.log": r"epoch 8/8: train loss [\d.]+, val loss [\d.]+",
        "pretrain_graphcls/toy/class/infograph-*.log": r"pre-training epoch 2/2: loss [\d.-]+",
        "run_graphcls/toy/topology/UniImb.log":
            r"seed 1: macro-F1 [\d.]+, micro-F1 [\d.]+ \(\d+ epochs, best \d+\) in [\d.]+ s",
    }
    for name, pattern in expect.items():
        (path,) = logs.glob(name)
        assert re.search(pattern, path.read_text()), name


def test_infograph_runs_read_the_cached_pretraining(graphcls_run):
    """InfoGraph-up's runs train their head on the pre-training job's embeddings (one per
    seed) and record its seconds."""
    workdir, _, _ = graphcls_run
    (folder,) = (workdir / "results/graphcls/pretrain/toy/class").glob("infograph-*")
    for seed in SEEDS:
        pre = json.loads((folder / f"seed{seed}.json").read_text())
        assert pre["seed"] == seed and pre["shape"] == [100, 16] and pre["pretrain"] == folder.name
        assert len(pre["pretrain_loss"]) == 2 and pre["spec"]["kind"] == "infograph"
        timings = json.loads((workdir / f"results/graphcls/runs/toy/class/InfoGraph-up/"
                                        f"seed{seed}/timings.json").read_text())
        assert timings["pretrain_s"] == pytest.approx(pre["pretrain_seconds"])


def test_rerun_one_seed_per_job_gives_identical_metrics(graphcls_run, tmp_path):
    """A fresh run of Table 3 with every seed a job of its own: the same bytes per seed."""
    workdir, _, _ = graphcls_run
    config = write_config(tmp_path, "tiny_graphcls.yaml", graphcls={"seeds_per_job": 1})
    out = snakemake(tmp_path, config, "--cores", "2", "uniimb_table3")
    assert job_counts(out)["run_graphcls"] == 2 * len(SEEDS)
    for method in ("GIN", "UniImb"):
        for seed in SEEDS:
            rel = f"results/graphcls/runs/toy/topology/{method}/seed{seed}/metrics.json"
            assert (tmp_path / rel).read_bytes() == (workdir / rel).read_bytes(), rel
    assert (tmp_path / "results/logs/run_graphcls/toy/topology/UniImb/seed1.log").exists()


def test_real_collections_are_read_from_the_data_root(tmp_path):
    """config/real_graphcls.yaml pointed at the shared datasets: the TU and GIN-text
    collections are read through the pipeline (and nothing is written beside them)."""
    import os
    from pathlib import Path

    root = Path(os.environ.get("IMBGRAPH_DATASETS", "/nonexistent"))
    if not (root / "tu/PROTEINS/raw").is_dir() or not (root / "gin/DD.zip").is_file():
        pytest.skip("IMBGRAPH_DATASETS is not set or lacks tu/PROTEINS and gin/DD.zip")
    from imbgraph.graphcls.collection import GraphCollection

    config = write_config(tmp_path, "real_graphcls.yaml", graphcls={"data_root": str(root)})
    targets = [f"results/graphcls/data/{d}/collection.npz" for d in ("PROTEINS", "DD")]
    out = snakemake(tmp_path, config, "--cores", "2", *targets)
    assert job_counts(out) == {"import_graphs": 2}
    proteins = GraphCollection.load(tmp_path / targets[0])
    assert (proteins.num_graphs, proteins.num_nodes) == (1113, 43471)
    assert proteins.class_counts().tolist() == [663, 450] and proteins.num_features == 3
    dd = GraphCollection.load(tmp_path / targets[1])
    assert (dd.num_graphs, dd.num_nodes) == (1178, 334925)
    assert dd.class_counts().tolist() == [691, 487] and dd.num_features == 89
    assert not (root / "tu/PROTEINS/processed").exists()
