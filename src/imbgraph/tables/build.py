"""From a table's config entry and its runs' metrics files to tidy cells plus the style the
renderers need. Two kinds of table:

- ``grid`` (DIGL Tables 1 and 2): rows are methods, columns are training splits (one or
  several metrics per split), plus the per-seed average over splits;
- ``rows`` (DIGL Table 3, the clustering comparison): each row is one chosen run (dataset,
  training split, method) or one classic clusterer; columns are metrics.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from imbgraph.tables.aggregate import (
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
}
# Columns that are sizes or costs: whole numbers / lower is better / no "best".
_DIGITS = {"train_size": 0, "wall_s": 2}
_HIGHER = {"train_size": None, "wall_s": False}


def table_metrics(table: dict) -> list[str]:
    """The metric(s) of a grid table: ``metric`` may be one name or a list."""
    m = table["metric"]
    return [m] if isinstance(m, str) else list(m)


def _read(path: str) -> dict:
    """A run's metrics plus, when present, its sibling ``timings.json`` (kept apart so that
    metrics files are byte-identical across reruns)."""
    with open(path) as fh:
        run = json.load(fh)
    timings = Path(path).with_name("timings.json")
    if timings.exists():
        run.update(json.loads(timings.read_text()))
    return run


def build_grid(table: dict, metrics_files: Sequence[str], labels: dict[str, str],
               reference: str | None) -> tuple[pl.DataFrame, dict]:
    """Cells and render style of a grid table (see the module docstring)."""
    columns = [c["split"] for c in table["columns"]]
    paper_columns = {c["split"]: c.get("paper") for c in table["columns"]}
    paper = read_reference(reference) if reference else {}
    metrics = table_metrics(table)
    common = dict(rows=table["rows"], labels=labels, columns=columns, paper=paper)
    if len(metrics) == 1:
        cells = summarise(load_runs(metrics_files, metrics[0]), table=table["name"],
                          metric=metrics[0], paper_columns=paper_columns, **common)
        column_labels = paper_columns
        style_keys = {c: metrics[0] for c in [*columns, "Avg"]}
    else:
        metric_labels = {m: METRIC_LABELS.get(m, m) for m in metrics}
        runs = {m: load_runs(metrics_files, m) for m in metrics}
        cells = summarise_metrics(runs, table=table["name"], metric_labels=metric_labels,
                                  paper_columns=paper_columns, **common)
        cols = cells.select("column", "dataset", "metric").unique(maintain_order=True)
        column_labels = {r["column"]: paper_columns.get(r["dataset"]) for r in cols.iter_rows(named=True)}
        style_keys = {r["column"]: r["metric"] for r in cols.iter_rows(named=True)}
    if not table.get("average", True):
        cells = cells.filter(pl.col("dataset") != "Avg")
    return cells, _style(table, column_labels, style_keys)


def build_rows(table: dict, rows: Sequence[dict], reference: str | None) -> tuple[pl.DataFrame, dict]:
    """Cells and render style of a rows table; ``rows[i]['files']`` are its metrics files."""
    metrics = [c["metric"] for c in table["columns"]]
    loaded = [{**r, "runs": [_read(f) for f in r["files"]]} for r in rows]
    paper = read_reference(reference) if reference else {}
    cells = summarise_rows(loaded, table=table["name"], metrics=metrics, paper=paper)
    labels = {c["metric"]: c.get("label", METRIC_LABELS.get(c["metric"], c["metric"]))
              for c in table["columns"]}
    # Row tables have no split columns: the header is the metric's label.
    cells = cells.with_columns(pl.col("column").replace_strict(labels, default=pl.col("column")))
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
