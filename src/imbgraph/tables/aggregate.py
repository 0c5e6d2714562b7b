"""Aggregate per-run metrics files into one tidy table of cells (mean +- std over seeds).

Every cell is a row ``table, method, dataset, split, metric, mean, std, n_seeds, paper,
column``: the method's label, the run's dataset and split, the metric, its mean and standard
deviation over seeds, how many seeds there were, the paper's value for that cell (null where
the paper reports none) and the header of the column the cell is rendered in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import TypedDict

import polars as pl

AVG = "Avg"

CELL_SCHEMA = {"table": pl.String, "method": pl.String, "dataset": pl.String,
               "split": pl.String, "metric": pl.String, "mean": pl.Float64, "std": pl.Float64,
               "n_seeds": pl.Int64, "paper": pl.Float64, "column": pl.String}


class Column(TypedDict, total=False):
    """One column of a grid table: the runs of (``dataset``, ``split``), headed ``key``;
    ``paper`` names the reference-file column it stands for."""

    key: str
    dataset: str
    split: str
    paper: str | None


def load_runs(paths: Iterable[str | os.PathLike], metric: str) -> pl.DataFrame:
    """One row per run: method, dataset, split, seed, value of ``metric``.

    Raises KeyError naming the file when a metrics file lacks ``metric``.
    """
    rows = []
    for path in paths:
        with open(path) as fh:
            run = json.load(fh)
        if metric not in run:
            raise KeyError(f"{path}: no metric {metric!r} (has {sorted(run)})")
        value = run[metric]
        rows.append({
            "method": run["method"], "dataset": run["dataset"], "split": run["split"],
            "seed": int(run["seed"]), "value": float("nan") if value is None else float(value),
        })
    schema = {"method": pl.String, "dataset": pl.String, "split": pl.String, "seed": pl.Int64,
              "value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def summarise(
    runs: pl.DataFrame,
    *,
    table: str,
    metric: str,
    rows: Sequence[str],
    labels: dict[str, str],
    columns: Sequence[Column],
    average: bool = True,
    paper: dict[str, dict[str, float]] | None = None,
    paper_suffix: str = "",
) -> pl.DataFrame:
    """Tidy cells of one metric of a grid table: rows = methods, one cell per column and
    method, plus (``average``) the per-seed mean over the columns summarised over seeds, in
    a column ``Avg`` (split ``Avg``; a seed missing a column has no Avg).

    ``paper`` is keyed {method label: {reference column: value}}; a cell's reference column
    is its column's ``paper`` name (``Avg`` for the average) plus ``paper_suffix``.
    """
    keys = pl.DataFrame(
        [{"dataset": c["dataset"], "split": c["split"], "column": c["key"]} for c in columns],
        schema={"dataset": pl.String, "split": pl.String, "column": pl.String},
    )
    # sorted and grouped in order: every mean / std sums its values in one fixed order, so
    # equal runs give byte-identical tables (polars' hash grouping order varies)
    per_col = runs.join(keys, on=["dataset", "split"], how="inner").select(
        "method", "column", "seed", "value").sort("method", "column", "seed")
    parts = [per_col]
    if average:
        parts.append(
            per_col.sort("method", "seed", "column").group_by("method", "seed",
                                                               maintain_order=True)
            .agg(pl.col("value").mean(), pl.len().alias("n_cols"))
            .filter(pl.col("n_cols") == len(columns))
            .select("method", pl.lit(AVG).alias("column"), "seed", "value")
        )
    cells = (
        pl.concat(parts)
        .group_by("method", "column", maintain_order=True)
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.len().alias("n_seeds"),
        )
    )
    datasets = {c["dataset"] for c in columns}
    layout = [(c["key"], c["dataset"], c["split"], c.get("paper") or c["key"]) for c in columns]
    if average:
        layout.append((AVG, datasets.pop() if len(datasets) == 1 else None, AVG, AVG))
    paper = paper or {}
    frame = pl.DataFrame(
        [
            {"method": m, "column": key, "dataset": dataset, "split": split,
             "paper": paper.get(labels.get(m, m), {}).get(f"{ref}{paper_suffix}"),
             "_r": r, "_c": c}
            for r, m in enumerate(rows)
            for c, (key, dataset, split, ref) in enumerate(layout)
        ],
        schema={"method": pl.String, "column": pl.String, "dataset": pl.String,
                "split": pl.String, "paper": pl.Float64, "_r": pl.Int64, "_c": pl.Int64},
    )
    return (
        frame.join(cells, on=["method", "column"], how="left")
        .with_columns(pl.col("n_seeds").fill_null(0).cast(pl.Int64))
        .sort("_r", "_c")
        .select(
            pl.lit(table).alias("table"),
            pl.col("method").replace_strict(labels, default=pl.col("method")).alias("method"),
            "dataset", "split", pl.lit(metric).alias("metric"),
            "mean", "std", "n_seeds", "paper", "column",
        )
    )


def summarise_metrics(
    runs_by_metric: dict[str, pl.DataFrame],
    *,
    table: str,
    metric_labels: dict[str, str],
    columns: Sequence[Column],
    **kwargs,
) -> pl.DataFrame:
    """:func:`summarise` for a grid with several metrics per column (DIGL Table 2: PR-AUC
    and BCubed F per subset; GraphSMOTE Table 1: ACC, AUC-ROC and F per dataset). Each
    column becomes one per metric, headed "<column> <metric label>", column-major; the
    reference columns are "<paper column> <metric>"."""
    parts = []
    per_row = len(columns) + (1 if kwargs.get("average", True) else 0)  # cells per method
    for m_i, (metric, runs) in enumerate(runs_by_metric.items()):
        label = metric_labels.get(metric, metric)
        cols = [{**c, "key": f"{c['key']} {label}"} for c in columns]
        cells = summarise(runs, table=table, metric=metric, columns=cols,
                          paper_suffix=f" {metric}", **kwargs)
        cells = cells.with_columns(
            pl.when(pl.col("split") == AVG).then(pl.lit(f"{AVG} {label}"))
            .otherwise(pl.col("column")).alias("column"))
        parts.append(cells.with_row_index("_i").with_columns(
            (pl.col("_i") % per_row).alias("_c"), pl.lit(m_i).alias("_m")))
    return pl.concat(parts).sort("_c", "_m", "_i").drop("_c", "_m", "_i")


def summarise_rows(
    rows: Sequence[dict],
    *,
    table: str,
    metrics: Sequence[str],
    metric_labels: dict[str, str],
    paper: dict[str, dict[str, float]] | None = None,
) -> pl.DataFrame:
    """Cells of a table whose rows are chosen runs and whose columns are metrics (DIGL
    Table 3, the clustering comparison, ECGN's ablations).

    Each row is ``{"label", "dataset", "split", "runs": [metrics dicts, one per seed],
    "paper"?}``; ``paper`` (the reference) is keyed by the row's ``paper`` name, else its
    label, then by metric. A row whose runs clustered a random subsample says so in its label.
    """
    out = []
    paper = paper or {}
    for row in rows:
        label = row["label"]
        subs = {(r["n_samples"], r["n_total"]) for r in row["runs"] if r.get("subsampled")}
        if subs:
            n, total = max(subs)
            label = f"{label} (subsample {n}/{total})"
        ref = paper.get(row.get("paper", row["label"]), {})
        for metric in metrics:
            values = []
            for r in row["runs"]:
                if metric not in r:
                    raise KeyError(f"row {row['label']!r}: run has no metric {metric!r} "
                                   f"(has {sorted(r)})")
                values.append(float("nan") if r[metric] is None else float(r[metric]))
            s = pl.Series(values, dtype=pl.Float64)
            out.append({
                "table": table, "method": label, "dataset": row["dataset"],
                "split": row["split"], "metric": metric,
                "mean": s.mean() if len(s) else None,
                "std": s.std(ddof=1) if len(s) > 1 else None,
                "n_seeds": len(s), "paper": ref.get(metric),
                "column": metric_labels.get(metric, metric),
            })
    return pl.DataFrame(out, schema=CELL_SCHEMA)


def read_reference(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """Paper values from a config/reference YAML: {row label: {column: value}}."""
    import yaml

    with open(path) as fh:
        ref = yaml.safe_load(fh)
    cols = ref["columns"]
    out = {}
    for label, values in ref["rows"].items():
        if len(values) != len(cols):
            raise ValueError(
                f"{path}: row {label!r} has {len(values)} values for {len(cols)} columns"
            )
        # null: the paper reports no value for that cell.
        out[label] = {c: float(v) for c, v in zip(cols, values) if v is not None}
    return out


def reference_title(path: str | os.PathLike | None) -> str:
    """The ``title`` of a reference file (the paper and table it transcribes), or ''."""
    if not path:
        return ""
    import yaml

    with open(path) as fh:
        return str(yaml.safe_load(fh).get("title", ""))
