"""DIGL Figure 3: PR-AUC averaged over the Table 1 subsets as a function of the expansion
coefficient gamma, for RS and RIWS, with the kNN baseline as a horizontal line."""

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
    splits: Sequence[str],
    points: Sequence[tuple[str, float, str]],
    baseline: str,
    labels: dict[str, str],
) -> pl.DataFrame:
    """One row per curve point: series, gamma, mean, std, n_seeds.

    ``points`` are (series, gamma, run method) triples; the same run method may stand for
    several points (the baseline at gamma = 1). Each seed's value is its mean over
    ``splits`` (a seed missing a split is dropped, as in the tables' Avg); mean and std are
    over seeds. The baseline is the series ``labels[baseline]`` with a null gamma.
    """
    runs = load_runs(metrics_files, metric).filter(pl.col("split").is_in(list(splits)))
    per_seed = (
        runs.group_by("method", "seed")
        .agg(pl.col("value").mean(), pl.len().alias("n"))
        .filter(pl.col("n") == len(splits))
    )
    wanted = pl.DataFrame(
        [{"series": labels.get(s, s), "gamma": float(g), "method": m} for s, g, m in points]
        + [{"series": labels.get(baseline, baseline), "gamma": None, "method": baseline}],
        schema={"series": pl.String, "gamma": pl.Float64, "method": pl.String},
    )
    return (
        wanted.join(per_seed, on="method", how="left")
        .group_by("series", "gamma", maintain_order=True)
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.col("value").count().alias("n_seeds"),
            pl.col("method").first(),
        )
        .sort("series", "gamma", nulls_last=True)
    )


def plot_sweep(points: pl.DataFrame, *, title: str, ylabel: str, png: str, pdf: str) -> None:
    """Error-bar curve per series (std over seeds) and the baseline as a dash-dot line with
    its +- std band; written atomically as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")  # no display on cluster nodes
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    base = points.filter(pl.col("gamma").is_null())
    curves = points.filter(pl.col("gamma").is_not_null())
    for (series,), df in curves.group_by("series", maintain_order=True):
        df = df.sort("gamma")
        ax.errorbar(df["gamma"], df["mean"], yerr=df["std"].fill_null(0.0), marker="o",
                    capsize=3, label=series)
    for row in base.iter_rows(named=True):
        if row["mean"] is None:
            continue
        ax.axhline(row["mean"], color="k", linestyle="-.", label=f"{row['series']} (baseline)")
        if row["std"] is not None:
            ax.axhspan(row["mean"] - row["std"], row["mean"] + row["std"], color="k", alpha=0.08)
    ax.set_xlabel(r"expansion coefficient $\gamma$")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
    plt.close(fig)
