"""Sweep figures: a metric against one method hyperparameter (DIGL Fig. 3: PR-AUC vs the
expansion coefficient gamma; GraphSMOTE Fig. 3: metrics vs the over-sampling scale; ECGN
Fig. 2: F1 vs the number of clusters), one curve per series, a baseline as a horizontal
line, each point the mean +- std over seeds of the per-seed mean over the figure's splits."""

from __future__ import annotations

import os
from collections.abc import Sequence

import polars as pl

from imbgraph.io.atomic import atomic_path
from imbgraph.tables.aggregate import load_runs


def sweep_points(
    metrics_files: Sequence[str | os.PathLike],
    *,
    metric: str,
    param: str,
    splits: Sequence[str],
    points: Sequence[tuple[str, float, str, str]],
    baselines: Sequence[tuple[str, str, str]] = (),
) -> pl.DataFrame:
    """One row per plotted point: series, ``param`` (the x value; null for a baseline),
    metric, mean, std, n_seeds, method, dataset.

    ``points`` are (series, x, run method, dataset) tuples; the same run method may stand for
    several points (the baseline at gamma = 1). ``baselines`` are (series, method, dataset).
    Each seed's value is its mean over ``splits`` (a seed missing a split is dropped, as in the
    tables' Avg); mean and std are over seeds.
    """
    runs = load_runs(metrics_files, metric).filter(pl.col("split").is_in(list(splits)))
    # Sorted before and after each group_by: polars' hash grouping returns groups (and so the
    # order of the values each mean / std sums) in an order that varies from run to run,
    # which changed a std's last digits between identical runs; sorted, the CSV is
    # byte-identical whatever the order of the files or the threads.
    per_seed = (
        runs.sort("method", "dataset", "seed", "split")
        .group_by("method", "dataset", "seed", maintain_order=True)
        .agg(pl.col("value").mean(), pl.len().alias("n"))
        .filter(pl.col("n") == len(splits))
        .sort("method", "dataset", "seed")
    )
    wanted = pl.DataFrame(
        [{"series": s, "x": float(x), "method": m, "dataset": d} for s, x, m, d in points]
        + [{"series": s, "x": None, "method": m, "dataset": d} for s, m, d in baselines],
        schema={"series": pl.String, "x": pl.Float64, "method": pl.String,
                "dataset": pl.String},
    )
    return (
        wanted.join(per_seed, on=["method", "dataset"], how="left")
        .group_by("series", "x", maintain_order=True)
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.col("value").count().alias("n_seeds"),
            pl.col("method").first(),
            pl.col("dataset").first(),
        )
        .sort("series", "x", nulls_last=True)
        .select("series", pl.col("x").alias(param), pl.lit(metric).alias("metric"), "mean",
                "std", "n_seeds", "method", "dataset")
    )


def plot_sweep(points: pl.DataFrame, *, param: str, title: str, xlabel: str,
               ylabels: dict[str, str], png: str, pdf: str) -> None:
    """One panel per metric: an error-bar curve per series (std over seeds) and each baseline
    as a dash-dot line with its +- std band; written atomically as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")  # no display on cluster nodes
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(points["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        panel = points.filter(pl.col("metric") == metric)
        base = panel.filter(pl.col(param).is_null())
        curves = panel.filter(pl.col(param).is_not_null())
        for (series,), df in curves.group_by("series", maintain_order=True):
            df = df.sort(param)
            ax.errorbar(df[param], df["mean"], yerr=df["std"].fill_null(0.0), marker="o",
                        capsize=3, label=series)
        for i, row in enumerate(base.iter_rows(named=True)):
            if row["mean"] is None:
                continue
            style = ["-.", ":", "--"][i % 3]
            ax.axhline(row["mean"], color="k", linestyle=style,
                       label=f"{row['series']} (baseline)")
            if row["std"] is not None:
                ax.axhspan(row["mean"] - row["std"], row["mean"] + row["std"], color="k",
                           alpha=0.08)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabels.get(metric, metric))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, metadata={"CreationDate": None}
                        if fmt == "pdf" else None)
    plt.close(fig)
