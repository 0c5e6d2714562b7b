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
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from imbgraph.config import grid_columns, table_metrics
from imbgraph.tables.aggregate import (
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
    "weighted_f1": "Weighted-F1",
}
# Columns that are sizes or costs: whole numbers / lower is better / no "best".
_DIGITS = {"train_size": 0, "wall_s": 2}
_HIGHER = {"train_size": None, "wall_s": False}


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
    style = _style(table, column_labels, style_keys)
    if missing:
        reasons = "; ".join(f"{m['label']}: {m['reason']}" for m in missing)
        style["not_built"] = [m["label"] for m in missing]
        style["note"] = "\n".join(filter(None, [style["note"].strip(),
                                                f"— not built here ({reasons})."]))
    return cells, style


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
    return cells, _style(table, None, {labels[m]: m for m in metrics})


def _style(table: dict, column_labels: dict | None, metric_of: dict[str, str]) -> dict:
    overrides = {c["metric"]: c for c in table["columns"] if "metric" in c}
    higher, digits = {}, {}
    for col, metric in metric_of.items():
        o = overrides.get(metric, {})
        higher[col] = o.get("higher_is_better",
                            _HIGHER.get(metric, table.get("higher_is_better", True)))
        digits[col] = o.get("digits", _DIGITS.get(metric, table.get("digits", 4)))
    return {"title": table["title"], "column_labels": column_labels,
            "higher_is_better": higher, "digits": digits, "note": table.get("note", "")}
