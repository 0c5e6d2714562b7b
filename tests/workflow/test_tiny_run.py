"""The tiny config end to end: every stage runs, table1 has finite cells, and changing one
method's hyperparameter reruns only that method's jobs."""

from __future__ import annotations

import math

import polars as pl
import pytest
import yaml

from snakemake_helpers import job_counts, snakemake, write_config

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    config = write_config(workdir, "tiny.yaml")
    snakemake(workdir, config, "--cores", "2", "all")
    return workdir, config


def test_table1_cells_are_finite(tiny_run):
    workdir, _ = tiny_run
    cells = pl.read_csv(workdir / "results/tables/table1.csv")
    assert cells.columns == ["table", "method", "dataset", "metric", "mean", "std", "n_seeds", "paper"]
    # 3 methods x (2 subsets + Avg)
    assert cells.height == 9
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
    run = workdir / "results/runs/faces/H5_S2/RIWS/seed0"
    edges = pl.read_parquet(run / "edges.parquet")
    assert edges.columns == ["src", "dst", "score", "label"]
    assert (edges["src"] < edges["dst"]).all()
    assert edges.select(pl.struct("src", "dst").is_unique().all()).item()
    clusters = pl.read_parquet(run / "clusters.parquet")
    assert clusters.height == pl.read_parquet(workdir / "results/data/faces/test/labels.parquet").height
    metrics = yaml.safe_load((run / "metrics.json").read_text())
    for key in ("pr_auc_ap", "pr_auc_trapz", "bcubed_f", "pairwise_f", "nmi", "bcubed_f_nosingle"):
        assert 0 <= metrics[key] <= 1, key
    # Nothing left to do after a complete run.
    assert "Nothing to be done" in snakemake(workdir, workdir / "config.yaml", "-n", "all")


def test_method_change_reruns_only_that_method(tiny_run):
    workdir, _ = tiny_run
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["methods"]["FL-RS"]["loss"]["gamma"] = 1.0
    changed = workdir / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(workdir, changed, "-n", "all")
    # 2 subsets x 2 seeds of FL-RS, then the table; no data, kNN or subgraph job.
    assert job_counts(out) == {"train_linkage": 4, "evaluate_linkage": 4, "render_table": 1, "all": 1}
    assert "method=FL-RS" in out and "method=RIWS" not in out and "method=L-GCN" not in out
