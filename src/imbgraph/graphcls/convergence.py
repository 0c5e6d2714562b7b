"""Convergence of a training budget: the test score at the best validation epoch against the
epoch budget, from one long run per (method, dataset, split, seed).

A traced run (:func:`imbgraph.graphcls.job.run_method` with ``trace=True`` and
``stopping: none``) tests the model at every epoch that sets a new lowest validation loss. The
run with budget B would have selected the last of those epochs below B, so every budget's
score comes from the same run: rows ``(epoch, val_loss, macro_f1, micro_f1)``, epochs
0-based and increasing. A budget sits on the flat part of the curve when it and every larger
budget are within one seed's standard deviation (at the largest budget) of the largest
budget's mean: more epochs change nothing beyond the noise of a seed.

Torch-free: the figure job reads trace files and plots them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np
import polars as pl

from imbgraph.errors import InputError
from imbgraph.io.atomic import atomic_path

__all__ = ["TRACE_COLUMNS", "budget_scores", "load_traces", "convergence_points",
           "plot_convergence"]

TRACE_COLUMNS = ("epoch", "val_loss", "macro_f1", "micro_f1")


def budget_scores(rows: Sequence[Sequence[float]], budgets: Sequence[int],
                  metric: str = "macro_f1") -> list[float | None]:
    """The test ``metric`` a run of each budget (epochs) would report: that of the last new
    best validation epoch below the budget; None where no epoch is (an empty trace).

    Example: rows [(0, .9, .5, .6), (3, .8, .7, .7)] give budgets [1, 3, 4] -> [.5, .5, .7].
    """
    col = TRACE_COLUMNS.index(metric)
    epochs = np.array([r[0] for r in rows], dtype=np.int64)
    if epochs.size and np.any(np.diff(epochs) <= 0):
        raise ValueError(f"trace epochs must increase; got {epochs.tolist()}")
    out: list[float | None] = []
    for b in budgets:
        i = int(np.searchsorted(epochs, int(b), side="left")) - 1  # last epoch < b
        out.append(None if i < 0 else float(rows[i][col]))
    return out


def load_traces(paths: Sequence[str | os.PathLike]) -> list[dict]:
    """The trace files (method, dataset, split, seed, epochs, rows), each checked."""
    out = []
    for path in paths:
        with open(path) as fh:
            t = json.load(fh)
        missing = {"method", "dataset", "split", "seed", "epochs", "rows"} - set(t)
        if missing:
            raise InputError(f"{path}: trace without {sorted(missing)}")
        out.append(t)
    return out


def convergence_points(traces: Sequence[dict], budgets: Sequence[int],
                       metric: str = "macro_f1", labels: dict[str, str] | None = None
                       ) -> pl.DataFrame:
    """One row per (method, dataset, budget): label, mean and std over seeds (ddof 1),
    n_seeds, the change from the largest budget's mean and whether the budget is on the flat
    part (see the module docstring). A budget longer than a run (``epochs``) is an error:
    that run cannot say what it would have selected."""
    labels = labels or {}
    rows = []
    for t in traces:
        if max(budgets) > int(t["epochs"]):
            raise InputError(f"trace of {t['method']} on {t['dataset']} seed {t['seed']} ran "
                             f"{t['epochs']} epochs; the largest budget is {max(budgets)}")
        for b, v in zip(budgets, budget_scores(t["rows"], budgets, metric)):
            rows.append({"method": t["method"], "dataset": t["dataset"], "budget": int(b),
                         "seed": int(t["seed"]), "value": v})
    per_seed = pl.DataFrame(rows, schema={"method": pl.String, "dataset": pl.String,
                                          "budget": pl.Int64, "seed": pl.Int64,
                                          "value": pl.Float64})
    pts = (per_seed.group_by("method", "dataset", "budget", maintain_order=True)
           .agg(pl.col("value").mean().alias("mean"), pl.col("value").std(ddof=1).alias("std"),
                pl.col("value").count().alias("n_seeds"))
           .sort("method", "dataset", "budget"))
    last = (pts.filter(pl.col("budget") == max(budgets))
            .select("method", "dataset", pl.col("mean").alias("final"),
                    pl.col("std").alias("final_std")))
    pts = pts.join(last, on=["method", "dataset"], how="left", maintain_order="left")
    pts = pts.with_columns((pl.col("mean") - pl.col("final")).alias("change_to_largest"))
    within = (pl.col("change_to_largest").abs() <= pl.col("final_std").fill_null(0.0))
    # flat: this budget and every larger one within a seed's std of the largest budget
    pts = pts.with_columns(within.alias("_w")).with_columns(
        pl.col("_w").reverse().cum_min().reverse().over("method", "dataset").alias("flat"))
    return pts.select(
        pl.col("method").replace_strict(labels, default=pl.col("method")).alias("label"),
        "method", "dataset", "budget", pl.lit(metric).alias("metric"), "mean", "std",
        "n_seeds", "change_to_largest", "flat")


def plot_convergence(points: pl.DataFrame, *, title: str, ylabel: str, png: str,
                     pdf: str) -> None:
    """One panel per dataset, one curve per method (mean +- std over seeds), budgets on a log
    axis; written atomically as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")  # no display on cluster nodes
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(points["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4.2),
                             squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        panel = points.filter(pl.col("dataset") == dataset)
        for (label,), df in panel.group_by("label", maintain_order=True):
            df = df.sort("budget")
            ax.errorbar(df["budget"], df["mean"], yerr=df["std"].fill_null(0.0), marker="o",
                        markersize=3, capsize=2, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("epoch budget (test score at the best validation epoch within it)")
        ax.set_ylabel(ylabel)
        ax.set_title(dataset, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150,
                        metadata={"CreationDate": None} if fmt == "pdf" else None)
    plt.close(fig)
