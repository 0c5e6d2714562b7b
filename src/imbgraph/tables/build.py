"""From a table's config entry and its runs' metrics files to tidy cells plus the style the
renderers need. Two kinds of table:

- ``grid`` (DIGL Tables 1 and 2, GraphSMOTE's, UniImb's): rows are methods, columns are
  runs of a (dataset, split), with one or several metrics each, plus (optionally) the
  per-seed average over the columns;
- ``rows`` (DIGL Table 3, the clustering comparison, ECGN's ablations): each row is one
  chosen run (dataset, split, method) or a family's other kind of row (a classic
  clusterer); columns are metrics.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from imbgraph.config import METRIC_DIRECTION, grid_columns, table_metrics
from imbgraph.tables.aggregate import (
    AVG,
    CELL_SCHEMA,
    load_runs,
    read_reference,
    summarise,
    summarise_metrics,
    summarise_rows,
)

METRIC_LABELS = {
    "pr_auc_ap": "PR-AUC",
    "pr_auc_trapz": "PR-AUC (trapz)",
    "bcubed_f": "BCubed F",
    "bcubed_f_nosingle": "BCubed F (no singletons)",
    "pairwise_f": "Pairwise F",
    "pairwise_f_nosingle": "Pairwise F (no singletons)",
    "nmi": "NMI",
    "train_size": "Training images",
    "wall_s": "Time (s)",
    "acc": "ACC",
    "balanced_acc": "Balanced ACC",
    "macro_f1": "Macro-F1",
    "micro_f1": "Micro-F1",
    "macro_auroc": "AUC-ROC",
    "perf_std": "PerfStd",
    "avg_rank": "Avg. rank",
    "epoch_s": "Epoch (s)",
    "weighted_f1": "Weighted-F1",
}
# Columns that are sizes or costs: whole numbers (their direction: config.METRIC_DIRECTION).
_DIGITS = {"train_size": 0, "wall_s": 2, "avg_rank": 2, "epoch_s": 3}


def _read(path: str) -> dict:
    """A run's metrics plus, when present, its sibling ``timings.json`` (kept apart so that
    metrics files are byte-identical across reruns)."""
    with open(path) as fh:
        run = json.load(fh)
    timings = Path(path).with_name("timings.json")
    if timings.exists():
        run.update(json.loads(timings.read_text()))
    return run


def keyed_columns(table: dict) -> list[dict]:
    """The grid's columns ({dataset, split, paper?, label?}) with their header ``key``: the
    column's ``label``, else its split (one dataset), dataset (one split) or both."""
    cols = grid_columns(table)
    datasets = {c["dataset"] for c in cols}
    splits = {c["split"] for c in cols}
    for c in cols:
        if "label" in c:
            c["key"] = c["label"]
        elif len(datasets) == 1:
            c["key"] = c["split"]
        elif len(splits) == 1:
            c["key"] = c["dataset"]
        else:
            c["key"] = f"{c['dataset']} {c['split']}"
    if len({c["key"] for c in cols}) != len(cols):
        raise ValueError(f"table {table['name']!r}: two columns have the same header; give "
                         "them distinct `label`s")
    return cols


def build_grid(table: dict, metrics_files: Sequence[str], labels: dict[str, str],
               reference: str | None) -> tuple[pl.DataFrame, dict]:
    """Cells and render style of a grid table (see the module docstring)."""
    columns = keyed_columns(table)
    paper = read_reference(reference) if reference else {}
    metrics = table_metrics(table)
    common = dict(rows=table["rows"], labels=labels, columns=columns, paper=paper,
                  average=table.get("average", True))
    if len(metrics) == 1:
        cells = summarise(load_runs(metrics_files, metrics[0]), table=table["name"],
                          metric=metrics[0], **common)
    else:
        metric_labels = {m: METRIC_LABELS.get(m, m) for m in metrics}
        runs = {m: load_runs(metrics_files, m) for m in metrics}
        cells = summarise_metrics(runs, table=table["name"], metric_labels=metric_labels,
                                  **common)
    heads = cells.select("column", "dataset", "split", "metric").unique(maintain_order=True)
    paper_of = {(c["dataset"], c["split"]): c.get("paper") for c in columns}
    column_labels = {r["column"]: paper_of[(r["dataset"], r["split"])]
                     for r in heads.iter_rows(named=True)
                     if paper_of.get((r["dataset"], r["split"]))}
    style_keys = {r["column"]: r["metric"] for r in heads.iter_rows(named=True)}
    missing = table.get("not_built", [])
    if missing:
        suffix = len(metrics) > 1
        cells = pl.concat([cells, _not_built_cells(table["name"], missing, heads, paper_of,
                                                   paper, suffix)])
    extra = []
    if table.get("rank"):
        extra.append(rank_cells(cells, table["name"]))
    if table.get("epoch_time"):
        extra.append(epoch_cells(table, metrics_files, labels, cells))
    for part in extra:
        cells = pl.concat([cells, part])
        style_keys.update({r["column"]: r["metric"] for r in part.iter_rows(named=True)})
    style = _style(table, column_labels, style_keys)
    column_of = {(c["dataset"], c["split"]): c["key"] for c in columns}
    tuned = tuning_note(metrics_files, lambda f, run: (
        labels.get(run["method"], run["method"]),
        column_of.get((run["dataset"], run["split"]), f"{run['dataset']} {run['split']}")))
    if tuned:
        style["note"] = "\n\n".join(filter(None, [style["note"].strip(), tuned]))
    if missing:
        reasons = "; ".join(f"{m['label']}: {m['reason']}" for m in missing)
        style["not_built"] = [m["label"] for m in missing]
        style["note"] = "\n".join(filter(None, [style["note"].strip(),
                                                f"— not built here ({reasons})."]))
    return cells, style


def rank_cells(cells: pl.DataFrame, table: str) -> pl.DataFrame:
    """An ``Avg. rank`` cell per method: its rank among the methods in every (column, metric)
    cell of ``cells`` but the averages (1 = best mean, ties share the mean rank; higher is
    better for every grid metric), averaged over those cells; null for a method missing a
    cell. The leaderboard's ranking (:mod:`imbgraph.tables.ranking`) instead leaves out a cell
    some method lacks, for its Friedman test; a grid table keeps every cell and nulls the
    method."""
    data = cells.filter((pl.col("split") != AVG) & pl.col("mean").is_not_null()
                        & pl.col("mean").is_not_nan())
    n_cols = data["column"].n_unique()
    ranked = data.with_columns(
        pl.col("mean").rank("average", descending=True).over("column").alias("rank"))
    per = ranked.group_by("method").agg(pl.col("rank").mean().alias("mean"),
                                        pl.len().alias("n"), pl.col("n_seeds").min())
    methods = list(dict.fromkeys(cells["method"]))
    got = {r["method"]: r for r in per.iter_rows(named=True)}
    label = METRIC_LABELS["avg_rank"]
    return pl.DataFrame([
        {"table": table, "method": m, "dataset": None, "split": label, "metric": "avg_rank",
         "mean": got[m]["mean"] if m in got and got[m]["n"] == n_cols else None, "std": None,
         "n_seeds": got[m]["n_seeds"] if m in got else 0, "paper": None, "column": label}
        for m in methods], schema=CELL_SCHEMA)


def epoch_cells(table: dict, metrics_files: Sequence[str], labels: dict[str, str],
                cells: pl.DataFrame) -> pl.DataFrame:
    """An ``Epoch (s) <dataset>`` cell per method: training seconds per epoch (``train_s /
    epochs`` of the runs' timings.json) on ``table["epoch_time"]``, mean +- std over seeds."""
    dataset = table["epoch_time"]
    splits = {c["split"] for c in grid_columns(table) if c["dataset"] == dataset}
    if not splits:
        raise ValueError(f"table {table['name']!r}: epoch_time = {dataset!r} is not a "
                         "dataset of its columns")
    per: dict[str, list[float]] = {}
    for f in metrics_files:
        run = _read(f)
        if run["dataset"] == dataset and run["split"] in splits and run.get("epochs"):
            per.setdefault(labels.get(run["method"], run["method"]), []).append(
                run["train_s"] / run["epochs"])
    column = f"{METRIC_LABELS['epoch_s']} {dataset}"
    rows = []
    for m in dict.fromkeys(cells["method"]):
        v = per.get(m, [])
        rows.append({"table": table["name"], "method": m, "dataset": dataset,
                     "split": column, "metric": "epoch_s",
                     "mean": sum(v) / len(v) if v else None,
                     "std": float(pl.Series(v).std()) if len(v) > 1 else None,
                     "n_seeds": len(v), "paper": None, "column": column})
    return pl.DataFrame(rows, schema=CELL_SCHEMA)


def _not_built_cells(table: str, missing: Sequence[dict], heads: pl.DataFrame,
                     paper_of: dict, paper: dict, suffix: bool) -> pl.DataFrame:
    """Rows of the paper's methods this project does not build: no runs, the paper's value."""
    out = []
    for m in missing:
        ref = paper.get(m["label"], {})
        for h in heads.iter_rows(named=True):
            column = paper_of.get((h["dataset"], h["split"])) or h["column"]
            key = f"{column} {h['metric']}" if suffix else column
            out.append({"table": table, "method": m["label"], "dataset": h["dataset"],
                        "split": h["split"], "metric": h["metric"], "mean": None, "std": None,
                        "n_seeds": 0, "paper": ref.get(key), "column": h["column"]})
    return pl.DataFrame(out, schema=CELL_SCHEMA)


def build_rows(table: dict, rows: Sequence[dict], reference: str | None) -> tuple[pl.DataFrame, dict]:
    """Cells and render style of a rows table; ``rows[i]['files']`` are its metrics files."""
    metrics = [c["metric"] for c in table["columns"]]
    loaded = [{**r, "runs": [_read(f) for f in r["files"]]} for r in rows]
    paper = read_reference(reference) if reference else {}
    labels = {c["metric"]: c.get("label", METRIC_LABELS.get(c["metric"], c["metric"]))
              for c in table["columns"]}
    cells = summarise_rows(loaded, table=table["name"], metrics=metrics, metric_labels=labels,
                           paper=paper)
    # Row tables have no split columns: the header is the metric's label.
    style = _style(table, None, {labels[m]: m for m in metrics})
    row_of = {f: r["label"] for r in rows for f in r["files"]}
    files = list(row_of)
    tuned = tuning_note(files, lambda f, run: (row_of[f], ""))
    if tuned:
        style["note"] = "\n\n".join(filter(None, [style["note"].strip(), tuned]))
    return cells, style


def _g(x: float) -> str:
    return f"{x:g}"


def tuning_note(metrics_files: Sequence[str],
                place: Callable[[str, dict], tuple[str, str]]) -> str:
    """The lines under a table that say which learning rate and weight decay each method's
    runs chose on validation (node family, :mod:`imbgraph.nodecls.tuning`), read from the
    ``settings.json`` beside each metrics file; empty when no run was tuned.

    ``place(metrics_file, settings)`` gives a run's (row label, column header); one line per row label,
    its columns in order. Seeds that chose differently (one job per seed) are listed with
    their seeds.
    """
    chosen: dict[str, dict[str, dict[str, list[int]]]] = {}
    grids: set[str] = set()
    for f in metrics_files:
        path = Path(f).with_name("settings.json")
        if not path.exists():
            continue
        run = json.loads(path.read_text())
        t = run.get("tuning")
        if not t or "chosen" not in t:
            continue
        grids.add(f"lr {{{', '.join(map(_g, t['grid']['lr']))}}} x weight decay "
                  f"{{{', '.join(map(_g, t['grid']['weight_decay']))}}} on validation "
                  f"{t['criterion']}" + (f" smoothed over {t['smooth']} epochs"
                                         if t.get("smooth", 1) > 1 else "")
                  + (f" from epoch {t['select_from']}" if t.get("select_from") else "")
                  + f", mean of {len(t['seeds'])} seed{'s' if len(t['seeds']) != 1 else ''}")
        who, where = place(f, run)
        value = f"lr {_g(t['chosen']['lr'])}, wd {_g(t['chosen']['weight_decay'])}"
        chosen.setdefault(who, {}).setdefault(where, {}).setdefault(value, []).append(
            int(run["seed"]))
    if not chosen:
        return ""
    lines = []
    for who, per in chosen.items():
        parts = []
        for where, values in per.items():
            if len(values) == 1:
                text = next(iter(values))
            else:
                text = "; ".join(f"{v} (seeds {', '.join(map(str, sorted(seeds)))})"
                                 for v, seeds in values.items())
            parts.append(f"{where}: {text}" if where else text)
        lines.append(f"- {who}: {'; '.join(parts)}")
    head = ("Learning rate and weight decay tuned per row and column "
            f"({'; '.join(sorted(grids))}):")
    return head + "\n\n" + "\n".join(lines)
def _style(table: dict, column_labels: dict | None, metric_of: dict[str, str]) -> dict:
    overrides = {c["metric"]: c for c in table.get("columns", []) if "metric" in c}
    higher, digits = {}, {}
    for col, metric in metric_of.items():
        o = overrides.get(metric, {})
        higher[col] = o.get("higher_is_better",
                            METRIC_DIRECTION.get(metric, table.get("higher_is_better", True)))
        digits[col] = o.get("digits", _DIGITS.get(metric, table.get("digits", 4)))
    return {"title": table["title"], "column_labels": column_labels,
            "higher_is_better": higher, "digits": digits, "note": table.get("note", "")}
