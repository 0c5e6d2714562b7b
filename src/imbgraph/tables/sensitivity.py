"""How much a ranking of methods depends on the split protocol, family-agnostic (a
``rankings:`` entry of the config): the same methods and datasets under several protocols
(one run split each), one metric.

- Each protocol orders the methods by their average rank over the datasets
  (:mod:`.ranking`: per (dataset, protocol) cell 1 = best, ties averaged);
- for each pair of protocols, Kendall's tau-b between the two orderings (``dataset`` "all":
  the average ranks) and between their per-dataset orderings (the methods' means over seeds
  on that dataset under each protocol), with scipy's two-sided p-value;
- the Friedman test and Nemenyi critical difference over all complete dataset x protocol
  cells, for the critical-difference figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import polars as pl

from imbgraph.tables.ranking import (
    Friedman,
    average_ranks,
    cell_ranks,
    friedman,
    kendall_tau,
    score_matrix,
)

__all__ = ["ALL", "Sensitivity", "protocol_sensitivity", "render_sensitivity"]

#: the ``dataset`` of a tau between two protocols' average-rank orderings
ALL = "all"


@dataclass(frozen=True)
class Sensitivity:
    """taus: protocol_a, protocol_b, dataset, tau, pvalue, methods; ranks: method, protocol,
    avg_rank, cells (``protocol`` "all": over every cell); test: the Friedman test over all
    complete cells (None when there is none); cells: those cells as (dataset, protocol)."""

    taus: pl.DataFrame
    ranks: pl.DataFrame
    test: Friedman | None
    cells: list[tuple[str, str]]


TAU_SCHEMA = {"protocol_a": pl.String, "protocol_b": pl.String, "dataset": pl.String,
              "tau": pl.Float64, "pvalue": pl.Float64, "methods": pl.Int64}
RANK_SCHEMA = {"method": pl.String, "protocol": pl.String, "avg_rank": pl.Float64,
               "cells": pl.Int64}


def protocol_sensitivity(runs: pl.DataFrame, *, methods: Sequence[str],
                         labels: Mapping[str, str], datasets: Sequence[str],
                         protocols: Mapping[str, str], higher_is_better: bool = True,
                         alpha: float = 0.05) -> Sensitivity:
    """The statistics of the module docstring from one metric's runs
    (:func:`imbgraph.tables.aggregate.load_runs` rows); ``protocols`` maps each protocol's
    label to its run split; methods appear under their ``labels``."""
    names = [labels.get(m, m) for m in methods]
    taus, ranks = [], []
    avg_of: dict[str, np.ndarray] = {}
    cell_means: dict[tuple[str, str], np.ndarray] = {}
    for p, split in protocols.items():
        scores, kept = score_matrix(runs, methods, [(d, split) for d in datasets])
        for (d, _), row in zip(kept, scores):
            cell_means[(d, p)] = row
        if not kept:
            continue
        avg_of[p] = average_ranks(cell_ranks(scores, higher_is_better=higher_is_better))
        ranks += [{"method": n, "protocol": p, "avg_rank": float(r), "cells": len(kept)}
                  for n, r in zip(names, avg_of[p])]
    sign = 1.0 if higher_is_better else -1.0
    for a, b in combinations(protocols, 2):
        if a in avg_of and b in avg_of:  # lower rank = better: tau on -rank orders alike
            tau, p = kendall_tau(-avg_of[a], -avg_of[b])
            taus.append({"protocol_a": a, "protocol_b": b, "dataset": ALL, "tau": tau,
                         "pvalue": p, "methods": len(methods)})
        for d in datasets:
            if (d, a) in cell_means and (d, b) in cell_means:
                tau, p = kendall_tau(sign * cell_means[(d, a)], sign * cell_means[(d, b)])
                taus.append({"protocol_a": a, "protocol_b": b, "dataset": d, "tau": tau,
                             "pvalue": p, "methods": len(methods)})
    cells = [(d, p) for p in protocols for d in datasets if (d, p) in cell_means]
    test = None
    if cells:
        scores = np.stack([cell_means[c] for c in cells])
        test = friedman(scores, alpha=alpha, higher_is_better=higher_is_better)
        overall = average_ranks(cell_ranks(scores, higher_is_better=higher_is_better))
        ranks += [{"method": n, "protocol": ALL, "avg_rank": float(r), "cells": len(cells)}
                  for n, r in zip(names, overall)]
    return Sensitivity(pl.DataFrame(taus, schema=TAU_SCHEMA),
                       pl.DataFrame(ranks, schema=RANK_SCHEMA), test, cells)


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def render_sensitivity(s: Sensitivity, *, title: str, metric_label: str,
                       protocols: Mapping[str, str], datasets: Sequence[str],
                       dataset_labels: Mapping[str, str] | None = None, note: str = "") -> str:
    """Markdown: the taus (a row per protocol pair: the average-rank orderings' tau, then one
    column per dataset and their mean), the average ranks (a row per method, a column per
    protocol and over all cells, best first), and the Friedman / Nemenyi line."""
    dl = dataset_labels or {}
    lines = [f"### {title}", "",
             f"Kendall's tau-b between the protocols' orderings of the methods by {metric_label} "
             "(1: the same order, -1: reversed; p-value in parentheses).", ""]
    head = ["Protocols", "Average ranks"] + [dl.get(d, d) for d in datasets] + ["Mean over datasets"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lookup = {(r["protocol_a"], r["protocol_b"], r["dataset"]): r
              for r in s.taus.iter_rows(named=True)}
    for a, b in combinations(protocols, 2):
        row = [f"{a} vs {b}"]
        per = []
        for d in [ALL, *datasets]:
            r = lookup.get((a, b, d))
            row.append("n/a" if r is None else f"{_num(r['tau'])} ({_num(r['pvalue'])})")
            if d != ALL and r is not None and not math.isnan(r["tau"]):
                per.append(r["tau"])
        row.append(_num(float(np.mean(per))) if per else "n/a")
        lines.append("| " + " | ".join(row) + " |")
    cols = [p for p in [*protocols, ALL] if p in set(s.ranks["protocol"])]
    if cols:
        lines += ["", f"Average rank of each method ({metric_label}; 1 = best, over the "
                  "datasets of each protocol; \"all\": over every dataset x protocol cell).", ""]
        head = ["Method"] + [f"{p} ({protocols[p]})" if p in protocols else p for p in cols]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        r_of = {(r["method"], r["protocol"]): r["avg_rank"] for r in s.ranks.iter_rows(named=True)}
        key = cols[-1]
        methods = sorted(dict.fromkeys(s.ranks["method"]),
                         key=lambda m: r_of.get((m, key), math.inf))
        for m in methods:
            lines.append("| " + " | ".join([m] + [_num(r_of.get((m, p))) for p in cols]) + " |")
    if s.test is not None:
        t = s.test
        lines += ["", f"Friedman test over {t.n} dataset x protocol cells and {t.k} methods: "
                  f"chi2 = {_num(t.statistic)}, p = {_num(t.pvalue, 3) if t.pvalue >= 1e-3 else f'{t.pvalue:.1e}'}; "
                  f"Nemenyi critical difference at {t.alpha:g}: {t.cd:.2f} average ranks "
                  "(Demsar 2006)."]
    if note:
        lines += ["", note.strip()]
    return "\n".join(lines) + "\n"
