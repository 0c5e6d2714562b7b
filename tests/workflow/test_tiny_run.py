"""The tiny config end to end (the ``tiny_run`` fixture of conftest.py): every stage runs,
every table and the figure have sane cells, and changing one method's hyperparameter reruns
only that method's jobs."""

from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest
import yaml
from snakemake_helpers import job_counts, snakemake

pytestmark = pytest.mark.workflow


def test_table1_cells_are_finite(tiny_run):
    workdir, _ = tiny_run
    cells = pl.read_csv(workdir / "results/tables/table1.csv")
    assert cells.columns == ["table", "method", "dataset", "split", "metric", "mean", "std",
                             "n_seeds", "paper", "column"]
    # 3 methods x (2 subsets + Avg)
    assert cells.height == 9
    assert set(cells["dataset"]) == {"faces"}
    assert set(cells["split"]) == {"H5_S2", "H5_S3", "Avg"}
    assert set(cells["method"]) == {"L-GCN", "RIWS", "FL (w/ RS)"}
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in cells["mean"])
    assert all(math.isfinite(v) for v in cells["std"])
    assert set(cells["n_seeds"]) == {2}
    md = (workdir / "results/tables/table1.md").read_text()
    assert "| Method | H5_S2 (200,3) | H5_S3 (200,5) | Avg |" in md
    assert "**" in md  # best method per column marked
    assert (workdir / "results/tables/table1.tex").read_text().count(r"\textbf") >= 3


def test_run_outputs_are_complete(tiny_run):
    workdir, _ = tiny_run
    run = workdir / "results/linkage/runs/faces/H5_S2/RIWS/seed0"
    edges = pl.read_parquet(run / "edges.parquet")
    assert edges.columns == ["src", "dst", "score", "label"]
    assert (edges["src"] < edges["dst"]).all()
    assert edges.select(pl.struct("src", "dst").is_unique().all()).item()
    clusters = pl.read_parquet(run / "clusters.parquet")
    test_labels = workdir / "results/linkage/data/faces/test/labels.parquet"
    assert clusters.height == pl.read_parquet(test_labels).height
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("pr_auc_ap", "pr_auc_trapz", "bcubed_f", "pairwise_f", "nmi", "bcubed_f_nosingle"):
        assert 0 <= metrics[key] <= 1, key
    assert {k: metrics[k] for k in ("task", "dataset", "split", "method", "seed")} == {
        "task": "linkage", "dataset": "faces", "split": "H5_S2", "method": "RIWS", "seed": 0}
    # Nothing left to do after a complete run.
    assert "Nothing to be done" in snakemake(workdir, workdir / "config.yaml", "-n", "all")


def test_method_change_reruns_only_that_method(tiny_run):
    workdir, _ = tiny_run
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["linkage"]["methods"]["FL-RS"]["loss"]["gamma"] = 1.0
    changed = workdir / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(workdir, changed, "-n", "all")
    # 2 subsets of FL-RS (one job trains both seeds), then the table; no data, kNN or
    # subgraph job.
    assert job_counts(out) == {"train_linkage": 2, "evaluate_linkage": 2, "render_table": 1, "all": 1}
    assert "method=FL-RS" in out and "method=RIWS" not in out and "method=L-GCN" not in out


def test_two_metric_grid_table(tiny_run):
    workdir, _ = tiny_run
    cells = pl.read_csv(workdir / "results/tables/table2.csv")
    # 2 methods x 1 subset x 2 metrics, no Avg column (average: false)
    assert cells.height == 4
    assert set(cells["metric"]) == {"pr_auc_ap", "bcubed_f"}
    assert set(cells["dataset"]) == {"fashion"} and set(cells["split"]) == {"H3_S2"}
    assert all(0 <= v <= 1 for v in cells["mean"])
    md = (workdir / "results/tables/table2.md").read_text()
    assert "| Method | H3_S2 PR-AUC (H200,S3) | H3_S2 BCubed F (H200,S3) |" in md
    assert "(0.7897)" in md and "(0.5769)" in md  # the paper's L-GCN cells


def test_rows_table_with_train_size(tiny_run):
    workdir, _ = tiny_run
    cells = pl.read_csv(workdir / "results/tables/table3.csv")
    sizes = cells.filter(pl.col("metric") == "train_size")
    full = pl.read_parquet(workdir / "results/linkage/data/faces/train/labels.parquet").height
    subset = pl.read_parquet(workdir / "results/linkage/data/faces/H5_S2/labels.parquet").height
    assert sizes["mean"].to_list()[:2] == [full, subset]
    assert sizes["std"].to_list()[:2] == [0.0, 0.0]
    assert cells.filter(pl.col("method") == "L-GCN, faces (full)")["paper"].to_list() == [
        576000, 0.9839, 0.8437]


def test_clustering_table_marks_the_subsample(tiny_run):
    workdir, _ = tiny_run
    cells = pl.read_csv(workdir / "results/tables/clustering.csv")
    n_test = pl.read_parquet(workdir / "results/linkage/data/faces/test/labels.parquet").height
    assert set(cells["method"]) == {"K-means", f"AHC (subsample 100/{n_test})", "ARO",
                                    "CDP (raw similarity)", "RGCN-16"}
    quality = cells.filter(pl.col("metric") != "wall_s")
    assert all(0 <= v <= 1 for v in quality["mean"])
    assert all(v >= 0 for v in cells.filter(pl.col("metric") == "wall_s")["mean"])
    ahc = pl.read_parquet(workdir / "results/linkage/clustering/faces/ahc/seed0/clusters.parquet")
    assert ahc.height == 100 and ahc["row"].is_sorted() and ahc["row"].max() < n_test


def test_gamma_sweep_figure(tiny_run):
    workdir, _ = tiny_run
    for ext in ("png", "pdf"):
        assert (workdir / f"results/figures/figure3.{ext}").stat().st_size > 1000
    points = pl.read_csv(workdir / "results/figures/figure3.csv")
    base = points.filter(pl.col("gamma").is_null())
    at_one = points.filter(pl.col("gamma") == 1.0)
    # gamma = 1 is the baseline's own runs, so the curve starts on the baseline line.
    assert at_one["method"].to_list() == ["L-GCN"] == base["method"].to_list()
    assert at_one["mean"].to_list() == base["mean"].to_list()
    assert points.filter(pl.col("gamma") == 2.0)["method"].to_list() == ["RIWS"]
    assert points.filter(pl.col("gamma") == 1.5)["method"].to_list() == ["RIWS-gamma1.5"]
    assert set(points["n_seeds"]) == {2}


def test_long_steps_write_progress_lines_to_their_logs(tiny_run):
    workdir, _ = tiny_run
    logs = workdir / "results/logs"
    expect = {
        "knn_search/faces/test.log": r"knn: \d+ / \d+ rows",
        "build_subgraphs/faces/test/shard0.log": r"subgraphs: \d+ / \d+ pivots",
        "train_linkage/faces/H5_S2/RIWS.log": r"epoch 2/2: loss [\d.]+",
        "evaluate_linkage/faces/H5_S2/RIWS.log": r"predict: \d+ / \d+ pivots",
    }
    for name, pattern in expect.items():
        assert re.search(pattern, (logs / name).read_text()), name
    # Propagation logs every pass (threshold, pool, nodes finalised).
    assert re.search(r"pass 1: th=[\d.e-]+ pool=\d+ finalised=\d+",
                     (logs / "evaluate_linkage/faces/H5_S2/RIWS.log").read_text())


def test_every_run_records_the_settings_it_used(tiny_run):
    workdir, _ = tiny_run
    runs = sorted((workdir / "results/linkage/runs").rglob("metrics.json"))
    assert runs
    for metrics_path in runs:
        metrics = json.loads(metrics_path.read_text())
        settings = json.loads(metrics_path.with_name("settings.json").read_text())
        for key in ("task", "dataset", "split", "method", "seed"):
            assert settings[key] == metrics[key], (metrics_path, key)
        assert {"model", "sampler", "loss", "train", "label"} <= set(settings["resolved"])
        assert settings["train_ips"]["k1"] >= 1 and "max_size" in settings["propagation"]
        assert settings["versions"]["imbgraph"]
    riws = json.loads((workdir / "results/linkage/runs/faces/H5_S2/RIWS-gamma1.5/seed1/"
                                 "settings.json").read_text())
    assert riws["resolved"]["sampler"] == {"name": "riws", "gamma": 1.5}
    km = json.loads((workdir / "results/linkage/clustering/faces/kmeans/seed0/settings.json")
                    .read_text())
    assert km["resolved"]["name"] == "kmeans" and km["split"] == "test"
