"""Aggregate per-run metrics files into one tidy table of cells (mean +- std over seeds)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

import polars as pl

AVG = "Avg"


def load_runs(paths: Iterable[str | os.PathLike], metric: str) -> pl.DataFrame:
    """One row per run: method, split, seed, value of ``metric``.

    Raises KeyError naming the file when a metrics file lacks ``metric``.
    """
    rows = []
    for path in paths:
        with open(path) as fh:
            run = json.load(fh)
        if metric not in run:
            raise KeyError(f"{path}: no metric {metric!r} (has {sorted(run)})")
        value = run[metric]
        rows.append(
            {
                "method": run["method"],
                "split": run["split"],
                "seed": int(run["seed"]),
                "value": float("nan") if value is None else float(value),
            }
        )
    schema = {"method": pl.String, "split": pl.String, "seed": pl.Int64, "value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def summarise(
    runs: pl.DataFrame,
    *,
    table: str,
    metric: str,
    rows: Sequence[str],
    labels: dict[str, str],
    columns: Sequence[str],
    paper: dict[str, dict[str, float]] | None = None,
    paper_columns: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Tidy cells: table, method, dataset, metric, mean, std, n_seeds, paper.

    ``dataset`` is the training split of the cell (or ``Avg``, the per-seed mean over the
    table's columns, summarised over seeds); ``paper`` is the value the paper reports for the
    method's label in the paper column the split stands for (null when not reported).
    """
    per_split = runs.filter(pl.col("split").is_in(list(columns)))
    avg = (
        per_split.group_by("method", "seed")
        .agg(pl.col("value").mean().alias("value"), pl.len().alias("n_cols"))
        .filter(pl.col("n_cols") == len(columns))  # a seed missing a column has no Avg
        .select("method", pl.lit(AVG).alias("split"), "seed", "value")
    )
    cells = (
        pl.concat([per_split.select("method", "split", "seed", "value"), avg])
        .group_by("method", "split")
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.len().alias("n_seeds"),
        )
    )
    paper = paper or {}
    paper_columns = {AVG: AVG, **(paper_columns or {})}
    order = {m: i for i, m in enumerate(rows)}
    col_order = {c: i for i, c in enumerate([*columns, AVG])}
    ref = pl.DataFrame(
        [
            {
                "method": m,
                "split": c,
                "paper": paper.get(labels.get(m, m), {}).get(paper_columns.get(c, "")),
            }
            for m in rows
            for c in [*columns, AVG]
        ],
        schema={"method": pl.String, "split": pl.String, "paper": pl.Float64},
    )
    return (
        ref.join(cells, on=["method", "split"], how="left")
        .with_columns(
            pl.col("method").replace_strict(order, return_dtype=pl.Int64).alias("_r"),
            pl.col("split").replace_strict(col_order, return_dtype=pl.Int64).alias("_c"),
            pl.col("n_seeds").fill_null(0).cast(pl.Int64),
        )
        .sort("_r", "_c")
        .select(
            pl.lit(table).alias("table"),
            pl.col("method").replace_strict(labels, default=pl.col("method")).alias("method"),
            pl.col("split").alias("dataset"),
            pl.lit(metric).alias("metric"),
            "mean",
            "std",
            "n_seeds",
            "paper",
        )
    )


def summarise_metrics(
    runs_by_metric: dict[str, pl.DataFrame],
    *,
    table: str,
    metric_labels: dict[str, str],
    **kwargs,
) -> pl.DataFrame:
    """:func:`summarise` for a grid with several metrics per split (DIGL Table 2: PR-AUC and
    BCubed F per subset). Adds a ``column`` key "<split> <metric label>" that the renderers
    use, in split-major order. ``kwargs['paper']`` is keyed {label: {"<paper column>
    <metric>": value}}."""
    parts = []
    paper_columns = kwargs.pop("paper_columns", None) or {}
    columns = kwargs["columns"]
    for metric, runs in runs_by_metric.items():
        cells = summarise(
            runs, table=table, metric=metric,
            paper_columns={c: f"{paper_columns.get(c, c)} {metric}" for c in [*columns, AVG]},
            **kwargs,
        )
        parts.append(cells)
    metrics = list(runs_by_metric)
    col_order = {c: i for i, c in enumerate([*columns, AVG])}
    return (
        pl.concat(parts)
        .with_columns(
            pl.col("dataset").replace_strict(col_order, return_dtype=pl.Int64).alias("_c"),
            pl.col("metric").replace_strict({m: i for i, m in enumerate(metrics)},
                                            return_dtype=pl.Int64).alias("_m"),
            pl.concat_str(pl.col("dataset"), pl.lit(" "),
                          pl.col("metric").replace_strict(metric_labels, default=pl.col("metric")))
            .alias("column"),
        )
        .with_row_index("_i")
        .sort("_c", "_m", "_i")
        .drop("_c", "_m", "_i")
    )


def summarise_rows(
    rows: Sequence[dict],
    *,
    table: str,
    metrics: Sequence[str],
    paper: dict[str, dict[str, float]] | None = None,
) -> pl.DataFrame:
    """Cells of a table whose rows are chosen runs and whose columns are metrics (DIGL
    Table 3, the clustering comparison).

    Each row is ``{"label", "dataset", "runs": [metrics dicts, one per seed], "paper"?}``;
    ``paper`` (the reference) is keyed by the row's ``paper`` name, else its label. A row
    whose runs clustered a random subsample says so in its label.
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
                "table": table, "method": label, "dataset": row["dataset"], "metric": metric,
                "mean": s.mean() if len(s) else None,
                "std": s.std(ddof=1) if len(s) > 1 else None,
                "n_seeds": len(s), "paper": ref.get(metric), "column": metric,
            })
    schema = {"table": pl.String, "method": pl.String, "dataset": pl.String,
              "metric": pl.String, "mean": pl.Float64, "std": pl.Float64,
              "n_seeds": pl.Int64, "paper": pl.Float64, "column": pl.String}
    return pl.DataFrame(out, schema=schema)


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
