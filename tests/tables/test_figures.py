"""Tests of imbgraph.tables.figures: sweep points (per-seed mean over splits, then mean +-
std over seeds; gamma 1 is the baseline run; series per dataset) and the PNG / PDF plot."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from imbgraph.tables.figures import plot_sweep, sweep_points

SPLITS = ["S1", "S2"]
POINTS = [("RS", 1.0, "L-GCN", "faces"), ("RS", 1.5, "RS-1.5", "faces"),
          ("RS", 2.0, "RS-2.0", "faces"), ("RIWS", 1.0, "L-GCN", "faces"),
          ("RIWS", 1.5, "RIWS-1.5", "faces")]
BASELINES = [("Linkage GCN", "L-GCN", "faces")]
# (method, split, seed, pr_auc_ap). S3 is outside the averaged splits; RS-2.0 has no runs.
RUNS = [
    # L-GCN: seed 0 -> 0.7, seed 1 -> 0.8; seed 2 lacks S2 and is dropped.
    ("L-GCN", "S1", 0, 0.8), ("L-GCN", "S2", 0, 0.6), ("L-GCN", "S3", 0, 0.0),
    ("L-GCN", "S1", 1, 0.9), ("L-GCN", "S2", 1, 0.7), ("L-GCN", "S1", 2, 0.1),
    # RS-1.5: seeds -> 0.6, 0.4, 0.8.
    ("RS-1.5", "S1", 0, 0.5), ("RS-1.5", "S2", 0, 0.7), ("RS-1.5", "S1", 1, 0.4),
    ("RS-1.5", "S2", 1, 0.4), ("RS-1.5", "S1", 2, 0.9), ("RS-1.5", "S2", 2, 0.7),
    # RIWS-1.5: one seed -> 0.9; a method in no point is ignored.
    ("RIWS-1.5", "S2", 0, 0.85), ("RIWS-1.5", "S1", 0, 0.95),
    ("RIWS-2.5", "S1", 0, 0.2), ("RIWS-2.5", "S2", 0, 0.2),
]
SCHEMA = {"series": pl.String, "gamma": pl.Float64, "metric": pl.String, "mean": pl.Float64,
          "std": pl.Float64, "n_seeds": pl.UInt32, "method": pl.String, "dataset": pl.String}


def write_runs(tmp_path: Path) -> list[str]:
    paths = []
    for i, (method, split, seed, value) in enumerate(RUNS):
        path = tmp_path / "runs" / f"{i}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"dataset": "faces", "split": split, "method": method,
                                    "seed": seed, "pr_auc_ap": value, "bcubed_f": 0.5,
                                    "train_size": 120, "wall_s": 0.3}))
        paths.append(str(path))
    return paths


def points(tmp_path: Path) -> pl.DataFrame:
    return sweep_points(write_runs(tmp_path), metric="pr_auc_ap", param="gamma", splits=SPLITS,
                        points=POINTS, baselines=BASELINES)


def test_sweep_points(tmp_path):
    m = "pr_auc_ap"
    base = (m, 0.75, math.sqrt(0.005), 2, "L-GCN", "faces")  # seeds 0.7, 0.8
    expected = pl.DataFrame(
        [
            ("Linkage GCN", None, *base),
            ("RIWS", 1.0, *base),
            ("RIWS", 1.5, m, 0.9, None, 1, "RIWS-1.5", "faces"),
            ("RS", 1.0, *base),
            ("RS", 1.5, m, 0.6, 0.2, 3, "RS-1.5", "faces"),
            ("RS", 2.0, m, None, None, 0, "RS-2.0", "faces"),
        ],
        schema=SCHEMA, orient="row",
    )
    assert_frame_equal(points(tmp_path), expected, check_exact=False, rel_tol=1e-9,
                       abs_tol=1e-12)


def test_sweep_gamma_one_is_the_baseline(tmp_path):
    got = points(tmp_path)
    stats = ["mean", "std", "n_seeds"]
    baseline = got.filter(pl.col("gamma").is_null())
    assert baseline["series"].to_list() == ["Linkage GCN"]
    for series in ("RS", "RIWS"):
        at_one = got.filter(pl.col("series") == series, pl.col("gamma") == 1.0)
        assert_frame_equal(at_one.select(stats), baseline.select(stats))


def test_sweep_points_splits_subset(tmp_path):
    # Only S1: every L-GCN seed counts (0.8, 0.9, 0.1) -> mean 0.6, var 0.19.
    got = sweep_points(write_runs(tmp_path), metric="pr_auc_ap", param="gamma", splits=["S1"],
                       points=[], baselines=[("L-GCN", "L-GCN", "faces")])
    expected = pl.DataFrame([("L-GCN", None, "pr_auc_ap", 0.6, math.sqrt(0.19), 3, "L-GCN",
                              "faces")], schema=SCHEMA, orient="row")
    assert_frame_equal(got, expected, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def test_plot_sweep_writes_png_and_pdf(tmp_path):
    pts = points(tmp_path)
    out = tmp_path / "fig"
    png, pdf = out / "figure3.png", out / "figure3.pdf"
    plot_sweep(pts, param="gamma", title="PR-AUC vs gamma", xlabel="gamma",
               ylabels={"pr_auc_ap": "PR-AUC"}, png=str(png), pdf=str(pdf))
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.read_bytes().startswith(b"%PDF")
    # Written atomically: nothing but the two figures is left beside them.
    assert sorted(p.name for p in out.iterdir()) == ["figure3.pdf", "figure3.png"]


def test_plot_sweep_baseline_without_runs_or_std(tmp_path):
    # A single-seed baseline (null std) and a baseline with no runs are both drawable.
    pts = pl.DataFrame(
        [("B", None, "m", 0.5, None, 1, "b", "d"), ("C", None, "m", None, None, 0, "c", "d"),
         ("RS", 1.0, "m", 0.5, None, 1, "b", "d"), ("RS", 1.5, "m", 0.6, 0.1, 2, "r", "d"),
         ("RS", 1.0, "n", 0.1, None, 1, "b", "d")],  # a second metric: a second panel
        schema=SCHEMA, orient="row",
    )
    png, pdf = tmp_path / "f.png", tmp_path / "f.pdf"
    plot_sweep(pts, param="gamma", title="t", xlabel="x", ylabels={}, png=str(png), pdf=str(pdf))
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]


def test_sweep_points_one_series_per_dataset(tmp_path):
    # ECGN Figure 2 style: one method, a series per dataset; the runs of another dataset
    # under the same method name never leak into a series.
    runs = []
    for i, (d, x, seed, v) in enumerate([("cora", 3, 0, 0.7), ("cora", 3, 1, 0.9),
                                          ("cite", 3, 0, 0.5), ("cora", 5, 0, 0.6)]):
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps({"dataset": d, "split": "s", "method": f"E-k{x}",
                                    "seed": seed, "macro_f1": v}))
        runs.append(str(path))
    pts = [("Cora", 3.0, "E-k3", "cora"), ("Cora", 5.0, "E-k5", "cora"),
           ("CiteSeer", 3.0, "E-k3", "cite")]
    got = sweep_points(runs, metric="macro_f1", param="clusters", splits=["s"], points=pts)
    assert got.columns[:2] == ["series", "clusters"]
    assert got.select("series", "clusters", "mean", "n_seeds").rows() == [
        ("CiteSeer", 3.0, 0.5, 1), ("Cora", 3.0, 0.8, 2), ("Cora", 5.0, 0.6, 1)]


def test_sweep_csv_is_byte_identical_whatever_the_file_order(tmp_path):
    # three seeds whose float sum depends on the order: (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1
    paths = []
    for seed, value in enumerate([0.1, 0.2, 0.3, 0.7]):
        for split in SPLITS:
            path = tmp_path / f"{seed}_{split}.json"
            path.write_text(json.dumps({"dataset": "faces", "split": split, "method": "RS-1.5",
                                        "seed": seed, "pr_auc_ap": value}))
            paths.append(str(path))
    csvs = set()
    for order in (paths, paths[::-1], paths[1::2] + paths[::2]):
        df = sweep_points(order, metric="pr_auc_ap", param="gamma", splits=SPLITS,
                          points=[("RS", 1.5, "RS-1.5", "faces")], baselines=[])
        csvs.add(df.write_csv())
    assert len(csvs) == 1
