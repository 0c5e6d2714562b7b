"""Tests of imbgraph.tables.leaderboard: columns from datasets x splits, average ranks by
hand, rows sorted by rank, the Friedman note against scipy.stats, and the cost columns
(median seconds per epoch, max peak memory) on the largest graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats

from imbgraph.config import grid_columns
from imbgraph.tables import render_markdown, render_tex
from imbgraph.tables.leaderboard import build_leaderboard, cost_dataset

# method -> (dataset, split) -> per-seed balanced_acc; macro_f1 = balanced_acc / 2.
# Cell means: small/s: A .8 B .6 C .7; small/t: A .5 B .7 C .6; big/s: A .9 B .5 C .7;
# big/t: A .6 B .6 C .4 -> ranks A 1,3,1,1.5 (6.5/4) B 3,1,3,1.5 (8.5/4) C 2,2,2,3 (9/4).
VALUES = {
    "A": {("small", "s"): [0.7, 0.9], ("small", "t"): [0.5, 0.5], ("big", "s"): [0.9, 0.9],
          ("big", "t"): [0.6, 0.6]},
    "B": {("small", "s"): [0.6, 0.6], ("small", "t"): [0.8, 0.6], ("big", "s"): [0.5, 0.5],
          ("big", "t"): [0.6, 0.6]},
    "C": {("small", "s"): [0.7, 0.7], ("small", "t"): [0.6, 0.6], ("big", "s"): [0.7, 0.7],
          ("big", "t"): [0.4, 0.4]},
}
NODES = {"small": 100, "big": 1000}
TABLE = {"name": "lb", "task": "nodecls", "kind": "leaderboard", "title": "Leaderboard",
         "metric": ["balanced_acc", "macro_f1"], "rows": ["A", "B", "C"],
         "datasets": ["small", "big"], "splits": ["s", "t"],
         "dataset_labels": {"big": "Big"}, "split_labels": {"s": "step"}}
LABELS = {"A": "Alpha"}


def write_runs(tmp_path: Path) -> list[str]:
    files = []
    for m, cells in VALUES.items():
        for (d, s), values in cells.items():
            for seed, v in enumerate(values):
                run = tmp_path / d / s / m / f"seed{seed}"
                run.mkdir(parents=True)
                (run / "metrics.json").write_text(json.dumps(
                    {"method": m, "dataset": d, "split": s, "seed": seed, "balanced_acc": v,
                     "macro_f1": v / 2}))
                # seconds per epoch 0.1 x (1 + seed) (+ 1 on t); peak 100 x method index + seed
                (run / "timings.json").write_text(json.dumps(
                    {"seconds_per_epoch": 0.1 * (1 + seed) + (1.0 if s == "t" else 0.0),
                     "peak_rss_mb": 100.0 * "ABC".index(m) + seed}))
                (run / "settings.json").write_text(json.dumps(
                    {"dataset": d, "graph": {"nodes": NODES[d]}}))
                files.append(str(run / "metrics.json"))
    return files


def test_columns_are_datasets_by_splits_with_labels():
    cols = grid_columns(TABLE)
    assert [(c["dataset"], c["split"], c["label"]) for c in cols] == [
        ("small", "s", "small step"), ("small", "t", "small t"), ("big", "s", "Big step"),
        ("big", "t", "Big t")]


def test_leaderboard_ranks_costs_and_order(tmp_path):
    files = write_runs(tmp_path)
    cells, style = build_leaderboard(TABLE, files, LABELS)
    rank = {r["method"]: r["mean"] for r in
            cells.filter(cells["column"] == "Avg rank (Balanced ACC)").iter_rows(named=True)}
    assert rank == pytest.approx({"Alpha": 6.5 / 4, "B": 8.5 / 4, "C": 9 / 4})
    # macro_f1 is balanced_acc / 2: the same ranks
    f1 = cells.filter(cells["column"] == "Avg rank (Macro-F1)")["mean"].to_list()
    assert f1 == pytest.approx([6.5 / 4, 8.5 / 4, 9 / 4])
    assert list(dict.fromkeys(cells["method"])) == ["Alpha", "B", "C"]
    # cost on "big" (most nodes): per method epochs {0.1, 0.2, 1.1, 1.2} -> median 0.65
    epoch = cells.filter(cells["column"] == "Epoch (s), Big")
    assert epoch["mean"].to_list() == pytest.approx([0.65, 0.65, 0.65])
    peak = cells.filter(cells["column"] == "Peak RSS (MB), Big")
    assert peak["mean"].to_list() == pytest.approx([1.0, 101.0, 201.0])
    assert style["higher_is_better"]["Avg rank (Balanced ACC)"] is False
    assert style["higher_is_better"]["Peak RSS (MB), Big"] is None
    # the note's Friedman statistic is scipy's on the cell means
    means = [[0.8, 0.6, 0.7], [0.5, 0.7, 0.6], [0.9, 0.5, 0.7], [0.6, 0.6, 0.4]]
    ref = stats.friedmanchisquare(*zip(*means))
    assert f"Friedman chi2 = {ref.statistic:.2f}" in style["note"]
    assert "over 4 cells and 3 methods" in style["note"]
    md = render_markdown(cells, **style)
    assert "| **1.62** |" in md or "**1.62**" in md  # best average rank in bold
    assert "Cells: mean ± std over 2 seeds" in md
    assert render_tex(cells, **style).count(r"\\") >= 4


def test_cost_dataset_and_unsorted(tmp_path):
    files = write_runs(tmp_path)
    assert cost_dataset(TABLE, files) == "big"
    assert cost_dataset({**TABLE, "cost_dataset": "small"}, files) == "small"
    cells, _ = build_leaderboard({**TABLE, "sort": False, "rows": ["C", "B", "A"],
                                  "not_built": [{"label": "Z", "reason": "r"}]}, files, LABELS)
    assert list(dict.fromkeys(cells["method"])) == ["C", "B", "Alpha", "Z"]
    z = cells.filter(cells["method"] == "Z")
    assert z["mean"].is_null().all() and z.height == 4 * 2 + 2 + 2
