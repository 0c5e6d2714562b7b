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
    paper_columns = {**(paper_columns or {}), AVG: AVG}
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
        out[label] = dict(zip(cols, map(float, values)))
    return out
