"""Ranking statistics over many (dataset, protocol) cells, family-agnostic: per-cell ranks of
methods, their average rank, the Friedman test with the Nemenyi post-hoc critical difference
(Demsar, "Statistical Comparisons of Classifiers over Multiple Data Sets", JMLR 2006, Sec.
3.2.2), the critical-difference figure, and Kendall's tau between two orderings of methods.

A *score matrix* is (N cells, k methods) of one metric's means over seeds; a cell is a block
of the Friedman test (Demsar: a data set). Rank 1 is the best method of a cell; tied methods
share the average of their ranks (Demsar: "in case of ties, average ranks are assigned").

The statistics come from scipy.stats: ``rankdata`` (average ties), ``friedmanchisquare``
(with its tie correction), ``studentized_range`` for the Nemenyi critical value
q_alpha = q(1 - alpha; k, inf) / sqrt(2) (Demsar Table 5a: 2.569 for k = 4 at 0.05), and
``kendalltau`` (tau-b, ties counted).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from imbgraph.io.atomic import atomic_path

__all__ = ["Friedman", "average_ranks", "cd_groups", "cell_ranks", "critical_difference",
           "friedman", "kendall_tau", "nemenyi_q", "plot_cd", "plot_rank_profiles",
           "score_matrix"]


def cell_ranks(scores: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """(N, k) ranks of the methods within each cell (row): 1 = best, ties averaged.

    Raises ValueError when a score is missing (NaN): a cell enters the test whole or not at
    all (:func:`score_matrix` drops incomplete cells first).
    """
    from scipy.stats import rankdata

    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"scores: expected an (N cells, k methods) matrix; got shape {s.shape}")
    if np.isnan(s).any():
        raise ValueError("scores: a cell has a missing value; drop incomplete cells first")
    return rankdata(-s if higher_is_better else s, axis=1, method="average")


def average_ranks(ranks: np.ndarray) -> np.ndarray:
    """(k,) mean rank of each method over the cells (Demsar's R_j)."""
    return np.asarray(ranks, dtype=np.float64).mean(axis=0)


@dataclass(frozen=True)
class Friedman:
    """The Friedman test over N cells and k methods, with Nemenyi's critical difference."""

    statistic: float  # chi^2_F (scipy's, tie-corrected)
    pvalue: float
    k: int
    n: int
    alpha: float
    cd: float  # Nemenyi critical difference of average ranks at ``alpha``


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical value q_alpha for k methods: the studentized range statistic's
    1 - alpha quantile with infinite degrees of freedom, divided by sqrt(2) (Demsar Table 5a)."""
    from scipy.stats import studentized_range

    if k < 2:
        raise ValueError(f"nemenyi_q: needs at least 2 methods; got k = {k}")
    if not 0 < alpha < 1:
        raise ValueError(f"nemenyi_q: alpha must lie in (0, 1); got {alpha}")
    return float(studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """CD = q_alpha sqrt(k (k + 1) / (6 N)) (Demsar Eq. after (3)): two methods whose
    average ranks over N cells differ by at least CD differ significantly."""
    if n < 1:
        raise ValueError(f"critical_difference: needs at least one cell; got N = {n}")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


def friedman(scores: np.ndarray, *, alpha: float = 0.05,
             higher_is_better: bool = True) -> Friedman:
    """The Friedman test of the (N, k) score matrix (scipy.stats.friedmanchisquare, methods
    as groups and cells as blocks) and the Nemenyi CD; statistic and p-value are NaN below
    scipy's minimum of 3 methods (the CD is still given)."""
    from scipy.stats import friedmanchisquare

    s = np.asarray(scores, dtype=np.float64)
    n, k = s.shape
    cell_ranks(s)  # the same checks (no NaN, a matrix)
    # Ranks are invariant to the direction only up to a sign: scipy ranks ascending, which
    # gives the same statistic either way.
    if k >= 3 and n >= 2:
        res = friedmanchisquare(*(s[:, j] for j in range(k)))
        stat, p = float(res.statistic), float(res.pvalue)
    else:
        stat = p = float("nan")
    return Friedman(stat, p, k, n, alpha, critical_difference(k, n, alpha))


def cd_groups(avg: Sequence[float], cd: float) -> list[tuple[int, ...]]:
    """Maximal runs of methods (indices, best average rank first) whose average ranks all lie
    within less than ``cd`` of each other: the bars of a critical-difference figure. Runs of
    one method and runs inside a longer one are left out."""
    order = sorted(range(len(avg)), key=lambda i: (avg[i], i))
    out: list[tuple[int, ...]] = []
    last_end = -1
    for a in range(len(order)):
        b = a
        # a difference of CD is significant, also when float subtraction lands just below
        while b + 1 < len(order) and avg[order[b + 1]] - avg[order[a]] < cd - 1e-9:
            b += 1
        if b > a and b > last_end:  # not inside the previous group
            out.append(tuple(order[a:b + 1]))
            last_end = b
    return out


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Kendall's tau-b between two scorings of the same methods (scipy.stats.kendalltau) and
    its two-sided p-value; NaN for fewer than two methods or a constant scoring."""
    from scipy.stats import kendalltau

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"kendall_tau: {a.shape} and {b.shape} scorings differ in length")
    if a.size < 2:
        return float("nan"), float("nan")
    res = kendalltau(a, b)
    return float(res.statistic), float(res.pvalue)


def score_matrix(runs: pl.DataFrame, methods: Sequence[str],
                 cells: Sequence[tuple[str, str]]) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """The (N, k) matrix of the methods' mean over seeds per (dataset, split) cell, from
    :func:`imbgraph.tables.aggregate.load_runs` rows; cells where some method has no run or
    a NaN mean are dropped (returned: the cells kept, in order)."""
    means = runs.group_by("method", "dataset", "split").agg(pl.col("value").mean())
    lookup = {(r["method"], r["dataset"], r["split"]): r["value"]
              for r in means.iter_rows(named=True)}
    rows, kept = [], []
    for d, s in cells:
        row = [lookup.get((m, d, s)) for m in methods]
        if any(v is None or math.isnan(v) for v in row):
            continue
        rows.append(row)
        kept.append((d, s))
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(methods)), kept


# --- figures ----------------------------------------------------------------------------------
def _save(fig, png: str | os.PathLike, pdf: str | os.PathLike) -> None:
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150,
                        metadata={"CreationDate": None} if fmt == "pdf" else None)


def plot_cd(avg: Mapping[str, float], cd: float, *, title: str, png: str | os.PathLike,
            pdf: str | os.PathLike) -> None:
    """Demsar's critical-difference diagram: the methods on a rank axis (1 = best, left) at
    their average rank, the CD as a scale bar, and a thick bar joining each group of methods
    not significantly different (:func:`cd_groups`); written atomically as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")  # no display on cluster nodes
    import matplotlib.pyplot as plt

    names = list(avg)
    ranks = [float(avg[n]) for n in names]
    k = len(names)
    order = sorted(range(k), key=lambda i: (ranks[i], i))
    half = (k + 1) // 2
    height = 1.6 + 0.28 * half
    fig, ax = plt.subplots(figsize=(7.5, height))
    lo, hi = 1, max(k, 2)
    ax.set_xlim(lo - 0.3, hi + 0.3)
    top = 0.0
    ax.set_ylim(-(half + 1.2) * 0.28 - 0.2, 0.9)
    ax.hlines(top, lo, hi, color="k", lw=1)
    for r in range(lo, hi + 1):
        ax.vlines(r, top, top + 0.08, color="k", lw=1)
        ax.text(r, top + 0.14, str(r), ha="center", va="bottom", fontsize=8)
    ax.plot([lo, lo + cd], [0.6, 0.6], color="k", lw=1.5)
    ax.text(lo + cd / 2, 0.66, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
    for pos, i in enumerate(order):  # best half labelled left, the rest right
        left = pos < half
        y = -0.28 * ((pos if left else k - 1 - pos) + 1) - 0.25
        x_text = lo - 0.25 if left else hi + 0.25
        ax.plot([ranks[i], ranks[i], x_text], [top, y, y], color="0.35", lw=0.8)
        ax.text(x_text, y, f"{names[i]} ({ranks[i]:.2f})", ha="right" if left else "left",
                va="center", fontsize=7.5)
    for g, group in enumerate(cd_groups(ranks, cd)):
        xs = [ranks[i] for i in group]
        y = -0.1 - 0.07 * g
        ax.plot([min(xs) - 0.03, max(xs) + 0.03], [y, y], color="k", lw=3,
                solid_capstyle="round")
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _save(fig, png, pdf)
    plt.close(fig)


def plot_rank_profiles(ranks: pl.DataFrame, *, title: str, png: str | os.PathLike,
                       pdf: str | os.PathLike) -> None:
    """Each method's average rank (y, 1 = best at the top) under each protocol (x), one line
    per method; ``ranks`` has columns method, protocol, avg_rank (rows in plotting order)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    protocols = list(dict.fromkeys(ranks["protocol"]))
    k = ranks["method"].n_unique()
    fig, ax = plt.subplots(figsize=(1.6 * len(protocols) + 4.0, 0.3 * k + 2.2))
    x_of = {p: i for i, p in enumerate(protocols)}
    colours = plt.get_cmap("tab20")(np.arange(k) % 20)  # 17+ methods: more than 10 colours
    for i, ((method,), df) in enumerate(ranks.group_by("method", maintain_order=True)):
        xs = [x_of[p] for p in df["protocol"]]
        ax.plot(xs, df["avg_rank"], marker="osD^v"[i % 5], color=colours[i], label=method)
    ax.set_xticks(range(len(protocols)), protocols)
    ax.set_xlim(-0.3, len(protocols) - 0.7)
    ax.invert_yaxis()
    ax.set_ylabel("average rank over datasets (1 = best)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _save(fig, png, pdf)
    plt.close(fig)
