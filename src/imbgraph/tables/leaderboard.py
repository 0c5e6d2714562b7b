"""A leaderboard table (``kind: leaderboard``), family-agnostic: rows are methods, columns the
(dataset, split) cells of its ``datasets`` x ``splits`` (or its ``columns``), one or several
metrics each; then each metric's average rank over the cells (:mod:`.ranking`: per cell
1 = best, ties averaged; rows sorted by the first metric's), and each method's cost on the
table's largest graph: the median over its runs there of the seconds per training epoch and
the largest peak resident memory of its jobs (``seconds_per_epoch`` and ``peak_rss_mb`` of
each run's ``timings.json``).

The note under the table gives, per metric, the Friedman test over the complete cells and the
Nemenyi critical difference of average ranks (Demsar 2006).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from imbgraph.config import grid_columns, table_metrics
from imbgraph.tables.aggregate import CELL_SCHEMA, load_runs
from imbgraph.tables.build import METRIC_LABELS, build_grid
from imbgraph.tables.ranking import average_ranks, cell_ranks, friedman, score_matrix

__all__ = ["build_leaderboard", "cost_dataset", "method_costs", "rank_cells"]

RANK = "Avg rank"
EPOCH = "Epoch (s)"
MEMORY = "Peak RSS (MB)"


def _sibling(path: str, name: str) -> dict:
    p = Path(path).with_name(name)
    return json.loads(p.read_text()) if p.exists() else {}


def cost_dataset(table: dict, metrics_files: Sequence[str]) -> str | None:
    """The table's ``cost_dataset``, else the dataset of its columns whose graph has the most
    nodes (the runs' ``settings.json`` ``graph.nodes``); None when no run says."""
    if table.get("cost_dataset"):
        return table["cost_dataset"]
    sizes: dict[str, int] = {}
    for f in metrics_files:
        s = _sibling(f, "settings.json")
        nodes = (s.get("graph") or {}).get("nodes")
        if nodes is not None:
            sizes[s.get("dataset", "")] = int(nodes)
    return max(sizes, key=lambda d: (sizes[d], d)) if sizes else None


def method_costs(metrics_files: Sequence[str], dataset: str | None) -> dict[str, dict]:
    """method -> {"epoch_s": median seconds per epoch, "peak_mb": max peak RSS (MB)} over its
    runs (all seeds and splits) on ``dataset``; a value no run recorded is None."""
    per: dict[str, dict[str, list[float]]] = {}
    for f in metrics_files:
        run = json.loads(Path(f).read_text())
        if run["dataset"] != dataset:
            continue
        t = _sibling(f, "timings.json")
        acc = per.setdefault(run["method"], {"epoch": [], "peak": []})
        if t.get("seconds_per_epoch") is not None:
            acc["epoch"].append(float(t["seconds_per_epoch"]))
        if t.get("peak_rss_mb") is not None:
            acc["peak"].append(float(t["peak_rss_mb"]))
    return {m: {"epoch_s": float(np.median(v["epoch"])) if v["epoch"] else None,
                "peak_mb": max(v["peak"]) if v["peak"] else None} for m, v in per.items()}


def rank_cells(runs: pl.DataFrame, methods: Sequence[str],
               cells: Sequence[tuple[str, str]], *, higher_is_better: bool = True,
               alpha: float = 0.05) -> tuple[dict[str, float], dict]:
    """Each method's average rank over the complete (dataset, split) cells of one metric's
    runs (:func:`imbgraph.tables.aggregate.load_runs` rows) and the test's summary: cells N,
    methods k, Friedman statistic and p-value, Nemenyi CD (empty dict when no cell is
    complete)."""
    scores, kept = score_matrix(runs, methods, cells)
    if not kept:
        return {}, {}
    avg = average_ranks(cell_ranks(scores, higher_is_better=higher_is_better))
    test = friedman(scores, alpha=alpha)
    return dict(zip(methods, map(float, avg))), {
        "cells": len(kept), "methods": len(methods), "statistic": test.statistic,
        "pvalue": test.pvalue, "cd": test.cd, "alpha": alpha}


def _derived(table: str, method: str, column: str, metric: str, value: float | None,
             split: str, dataset: str | None = None) -> dict:
    return {"table": table, "method": method, "dataset": dataset, "split": split,
            "metric": metric, "mean": value, "std": None, "n_seeds": 0, "paper": None,
            "column": column}


def build_leaderboard(table: dict, metrics_files: Sequence[str],
                      labels: dict[str, str]) -> tuple[pl.DataFrame, dict]:
    """Cells and render style of a leaderboard (see the module docstring). Rank and cost
    cells have ``n_seeds`` 0 (they are not means over seeds) and split ``rank`` / ``cost``."""
    name = table["name"]
    cells, style = build_grid({**table, "average": False}, metrics_files, labels, None)
    metrics = table_metrics(table)
    cols = [(c["dataset"], c["split"]) for c in grid_columns(table)]
    rows = list(table["rows"])
    alpha = float(table.get("alpha", 0.05))
    higher = table.get("higher_is_better", True)
    shown = [labels.get(m, m) for m in rows] + [m["label"] for m in table.get("not_built", [])]
    label_of = dict(zip(rows, shown))
    extra, tests, first_avg = [], [], None
    for metric in metrics:
        avg, test = rank_cells(load_runs(metrics_files, metric), rows, cols,
                               higher_is_better=higher, alpha=alpha)
        label = METRIC_LABELS.get(metric, metric)
        column = f"{RANK} ({label})" if len(metrics) > 1 else RANK
        first_avg = avg if first_avg is None else first_avg
        ranked = {label_of[m]: v for m, v in avg.items()}
        extra += [_derived(name, m, column, metric, ranked.get(m), "rank") for m in shown]
        style["higher_is_better"][column] = False
        style["digits"][column] = 2
        if test:
            tests.append(f"{label}: Friedman chi2 = {test['statistic']:.2f} "
                         f"(p = {test['pvalue']:.2g}) over {test['cells']} cells and "
                         f"{test['methods']} methods; Nemenyi CD at {alpha:g} = "
                         f"{test['cd']:.2f} average ranks")
    where = cost_dataset(table, metrics_files)
    costs = {label_of[m]: c for m, c in method_costs(metrics_files, where).items()
             if m in label_of}
    dl = table.get("dataset_labels", {})
    suffix = f", {dl.get(where, where)}" if where else ""
    for column, key, digits in ((EPOCH + suffix, "epoch_s", 4), (MEMORY + suffix, "peak_mb", 0)):
        extra += [_derived(name, m, column, key, costs.get(m, {}).get(key), "cost", where)
                  for m in shown]
        style["higher_is_better"][column] = None  # a cost, not a contest: nothing in bold
        style["digits"][column] = digits
    cells = pl.concat([cells, pl.DataFrame(extra, schema=CELL_SCHEMA)])
    if table.get("sort", True) and first_avg:  # best average rank first; unranked last
        key = {label_of[m]: (first_avg.get(m, math.inf), i) for i, m in enumerate(rows)}
        order = sorted(shown, key=lambda m: key.get(m, (math.inf, len(rows))))
        rank = pl.DataFrame({"method": order, "_o": list(range(len(order)))})
        cells = (cells.with_row_index("_i").join(rank, on="method", how="left")
                 .sort("_o", "_i").drop("_o", "_i"))
    note = [style["note"].strip(),
            "Average rank: per (dataset, split) cell 1 = best, ties averaged, over the cells "
            "where every method has runs. " + "; ".join(tests) + "." if tests else "",
            f"Cost: median wall seconds per training epoch over the runs on "
            f"{dl.get(where, where)} and the largest peak resident memory of their jobs."
            if where else ""]
    style["note"] = "\n".join(filter(None, note))
    return cells, style

