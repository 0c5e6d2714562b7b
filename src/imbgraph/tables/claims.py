"""Claims as tests: a paper's statement ("UniImb beats every baseline on each dataset of
Table 2", "the uniform load is best in Table 1") checked on the per-seed metrics files with a
paired test over the same seeds.

A claim says that method A is better than each of its rivals B_1..B_m on each of its
(dataset, split) runs (or, with ``average``, on their per-seed mean, as a table's Avg
column). Every (A, B, runs) is one *comparison*; it is paired by seed: a run's split (and
every other random choice) is a function of dataset, split name and seed, so A's and B's
seed-s runs saw the same training, validation and test graphs / nodes / edges, and the
per-seed difference ``d_s = A_s - B_s`` (``B_s - A_s`` when lower is better) removes the
split-to-split variance that dominates small imbalanced benchmarks.

Per comparison (n = the seeds both methods have; every expected seed must be there):

* effect: mean(d); confidence interval: the paired-t interval mean(d) +- t_{1-alpha/2, n-1}
  sd(d) / sqrt(n) at level 1 - alpha (``scipy.stats.t``; the same as
  ``scipy.stats.ttest_rel(a, b).confidence_interval(1 - alpha)``), whatever the test;
* p: one-sided, for "A better than B", from the study's test (below); p_opposite: the same
  test the other way ("B better than A");
* Holm's step-down correction over the comparisons of one claim, for each direction
  separately (``correction: none`` turns it off). Each row's verdict is then valid
  simultaneously with the other rows of its claim (family-wise error <= alpha). Note that
  the claim-level "holds" (every row holds) is an intersection-union test, which would be
  valid at alpha without any correction; Holm makes it conservative, and is what lets the
  rows be read one by one;
* verdict: ``holds`` when the adjusted p < alpha and the effect > 0; ``fails`` when the
  adjusted p_opposite < alpha and the effect < 0 (significant evidence that B is better);
  ``inconclusive`` otherwise. Both are one-sided tests at alpha, so for a true null each
  wrong verdict has probability at most alpha, and a row cannot both hold and fail.
  A claim holds when all its rows hold, fails when any row fails, else is inconclusive.

The test (``test:`` of a study):

* ``ttest`` (the default): ``scipy.stats.ttest_rel(a, b, alternative='greater')``, exact when
  the per-seed differences are normal (a difference of two metrics each averaged over many
  test items is close to it) and able to decide with the 2-3 seeds the default and tiny
  configs run. With 2 seeds it has one degree of freedom: only a very consistent difference
  reaches alpha. All-zero differences (two methods that give identical numbers) have no
  variance; p is then reported as not available and the row is inconclusive.
* ``wilcoxon``: ``scipy.stats.wilcoxon(a, b, alternative='greater')``, the paper's own test
  (UniImb marks its Table 2 cells with a Wilcoxon signed-rank p < 0.05 over 20 runs). No
  normality assumption, only a symmetric distribution of differences, but it is discrete:
  the smallest one-sided p with n non-zero differences is 1 / 2^n (n = 5: 0.031, n = 3:
  0.125), so at alpha = 0.05 it needs >= 5 seeds to ever hold, and after Holm over m
  comparisons it needs m / 2^n < alpha (Table 2's 12 baselines x 3 datasets: >= 10 seeds).
  The rendered notes say so, and each row carries its ``p_floor`` (the smallest adjusted p
  its n allows). Zero differences (ties of the two methods on a seed) carry no sign and are
  dropped (``zero_method='wilcox'``, scipy's default), which lowers n; ties among the non-zero
  |d| make scipy's ``method='auto'`` use the exact permutation distribution up to 13
  differences (the normal approximation beyond).

Torch-free; scipy is imported when a test runs, not at import (the workflow imports this
package at every start).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence

import polars as pl

from imbgraph.errors import InputError

TESTS = ("ttest", "wilcoxon")
DEFAULT_TEST = "ttest"
DEFAULT_ALPHA = 0.05
VERDICTS = ("holds", "fails", "inconclusive")

#: one row per comparison of :func:`evaluate` (and of the rendered CSV)
RESULT_SCHEMA = {
    "study": pl.String, "claim": pl.String, "text": pl.String,
    "better": pl.String, "than": pl.String, "better_label": pl.String, "than_label": pl.String,
    "dataset": pl.String, "split": pl.String, "metric": pl.String,
    "higher_is_better": pl.Boolean, "test": pl.String, "n": pl.Int64, "seeds": pl.String,
    "mean_better": pl.Float64, "mean_than": pl.Float64, "effect": pl.Float64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "ci_level": pl.Float64,
    "p": pl.Float64, "p_adj": pl.Float64, "p_opposite": pl.Float64,
    "p_opposite_adj": pl.Float64, "p_floor": pl.Float64, "correction": pl.String,
    "alpha": pl.Float64, "verdict": pl.String, "claim_verdict": pl.String,
}


# --- reading the runs ---------------------------------------------------------------------


def load_values(paths: Iterable[str | os.PathLike],
                metrics: Sequence[str]) -> dict[tuple[str, str, str, int], dict]:
    """{(method, dataset, split, seed): {"path", metric: value, ...}} of every metrics file.

    Raises :class:`InputError` naming the file when it lacks a metric, holds a null or
    non-finite one, or repeats another file's (method, dataset, split, seed).
    """
    out: dict[tuple[str, str, str, int], dict] = {}
    for path in paths:
        with open(path) as fh:
            run = json.load(fh)
        key = (run["method"], run["dataset"], run["split"], int(run["seed"]))
        if key in out:
            raise InputError(f"{path}: the run {_run_name(*key)} is also {out[key]['path']}")
        entry: dict = {"path": str(path)}
        for m in metrics:
            if m not in run:
                raise InputError(f"{path}: no metric {m!r} (has {sorted(run)})")
            v = run[m]
            if v is None or not math.isfinite(float(v)):
                raise InputError(f"{path}: {m} is {v!r}; a claim needs a finite value on "
                                 "every seed (the metric is undefined on this run)")
            entry[m] = float(v)
        out[key] = entry
    return out


def _run_name(method, dataset, split, seed=None) -> str:
    return f"{method} on {dataset} / {split}" + ("" if seed is None else f", seed {seed}")


def paired_values(values: dict, comparison: dict, seeds: Sequence[int] | None = None,
                  ) -> tuple[list[int], list[float], list[float]]:
    """The seeds of a comparison and the per-seed values of its ``better`` and ``than``
    methods (each the mean over the comparison's cells), seed by seed.

    ``seeds`` are the seeds every run must have (the family's); None: the seeds found, which
    must then be the same for both methods. Raises :class:`InputError` naming each missing
    (method, dataset, split, seed) and the files that were read for that run.
    """
    metric = comparison["metric"]
    cells = [tuple(c) for c in comparison["cells"]]
    methods = (comparison["better"], comparison["than"])
    found = {(m, d, s): {k[3] for k in values if k[:3] == (m, d, s)}
             for m in methods for d, s in cells}
    expected = set(seeds) if seeds is not None else set().union(*found.values())
    missing = []
    for (m, d, s), have in found.items():
        for seed in sorted(expected - have):
            files = sorted(values[(m, d, s, x)]["path"] for x in have)
            missing.append(f"{_run_name(m, d, s, seed)} (its files read: "
                           f"{files or 'none'})")
    if missing:
        raise InputError(
            f"claim {comparison['claim']!r} ({comparison['better']} vs {comparison['than']}, "
            f"{metric}): no metrics file for {'; '.join(missing)}; a paired test needs every "
            f"seed of both methods (expected seeds {sorted(expected)})")
    order = sorted(expected)

    def value(m: str, seed: int) -> float:
        return sum(values[(m, d, s, seed)][metric] for d, s in cells) / len(cells)

    return order, [value(methods[0], x) for x in order], [value(methods[1], x) for x in order]


# --- statistics ---------------------------------------------------------------------------


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order: sort ascending, multiply the
    i-th smallest (from 0) by m - i, carry the running maximum, cap at 1. NaN stays NaN and
    counts as 1 for the others (a row without a p cannot be rejected)."""
    m = len(pvalues)
    filled = [1.0 if math.isnan(p) else float(p) for p in pvalues]
    order = sorted(range(m), key=lambda i: filled[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * filled[i]))
        out[i] = running
    return [math.nan if math.isnan(p) else a for p, a in zip(pvalues, out)]


def p_floor(n_nonzero: int, test: str) -> float:
    """The smallest one-sided p the test can give with ``n_nonzero`` non-zero differences:
    1 / 2^n for the exact Wilcoxon signed-rank test (every difference positive), 0 for the
    t-test."""
    return 0.5 ** n_nonzero if test == "wilcoxon" else 0.0


def paired_test(better: Sequence[float], than: Sequence[float], *, test: str = DEFAULT_TEST,
                alpha: float = DEFAULT_ALPHA, higher_is_better: bool = True) -> dict:
    """Effect, 1 - alpha paired-t interval and one-sided p-values of "``better`` beats
    ``than``" over paired per-seed values (see the module docstring).

    Returns ``{n, mean_better, mean_than, effect, ci_low, ci_high, p, p_opposite, p_floor}``
    (the effect and interval oriented so that > 0 favours ``better``; NaN where n is too
    small: the interval and the t-test need n >= 2, Wilcoxon n >= 1 non-zero difference).
    """
    import numpy as np
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"test {test!r}: expected one of {TESTS}")
    a, b = np.asarray(better, dtype=float), np.asarray(than, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired values of different shapes: {a.shape} and {b.shape}")
    d = a - b if higher_is_better else b - a
    n = int(d.size)
    effect = float(d.mean()) if n else math.nan
    if n >= 2:
        half = float(stats.t.ppf(1 - alpha / 2, n - 1) * d.std(ddof=1) / math.sqrt(n))
        ci = (effect - half, effect + half)
    else:
        ci = (math.nan, math.nan)
    nonzero = int(np.count_nonzero(d))
    if nonzero == 0 or (test == "ttest" and n < 2):
        p = p_opp = math.nan  # no variance / too few seeds: no evidence either way
    elif test == "ttest":
        p = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
        p_opp = float(stats.ttest_1samp(d, 0.0, alternative="less").pvalue)
    else:
        p = float(stats.wilcoxon(d, alternative="greater", zero_method="wilcox").pvalue)
        p_opp = float(stats.wilcoxon(d, alternative="less", zero_method="wilcox").pvalue)
    return {"n": n, "mean_better": float(a.mean()) if n else math.nan,
            "mean_than": float(b.mean()) if n else math.nan, "effect": effect,
            "ci_low": ci[0], "ci_high": ci[1], "p": p, "p_opposite": p_opp,
            "p_floor": p_floor(nonzero, test) if test == "wilcoxon" or n >= 2 else math.nan}


def verdict(effect: float, p_adj: float, p_opposite_adj: float, alpha: float) -> str:
    """holds / fails / inconclusive of one comparison (adjusted one-sided p-values)."""
    if not math.isnan(p_adj) and p_adj < alpha and effect > 0:
        return "holds"
    if not math.isnan(p_opposite_adj) and p_opposite_adj < alpha and effect < 0:
        return "fails"
    return "inconclusive"


def claim_verdict(verdicts: Sequence[str]) -> str:
    """A claim holds when every comparison holds, fails when any fails."""
    if verdicts and all(v == "holds" for v in verdicts):
        return "holds"
    return "fails" if "fails" in verdicts else "inconclusive"


# --- a study ------------------------------------------------------------------------------


def evaluate(study: dict, comparisons: Sequence[dict], values: dict, *,
             seeds: Sequence[int] | None = None, labels: dict[str, str] | None = None,
             ) -> pl.DataFrame:
    """One row per comparison (:data:`RESULT_SCHEMA`), in order.

    ``study`` is the config entry (``name``, ``alpha``, ``test``, ``correction``, ``claims``
    with each claim's ``id`` and ``text``); ``comparisons`` are those of
    :func:`imbgraph.config.claim_comparisons`; ``values`` come from :func:`load_values`.
    """
    alpha = float(study.get("alpha", DEFAULT_ALPHA))
    test = study.get("test", DEFAULT_TEST)
    correction = study.get("correction", "holm")
    texts = {c["id"]: c.get("text", "") for c in study["claims"]}
    labels = labels or {}
    rows = []
    for c in comparisons:
        order, a, b = paired_values(values, c, seeds)
        r = paired_test(a, b, test=test, alpha=alpha, higher_is_better=c["higher_is_better"])
        datasets = list(dict.fromkeys(d for d, _ in c["cells"]))
        splits = list(dict.fromkeys(s for _, s in c["cells"]))
        rows.append({
            "study": study.get("name", ""), "claim": c["claim"], "text": texts.get(c["claim"], ""),
            "better": c["better"], "than": c["than"],
            "better_label": labels.get(c["better"], c["better"]),
            "than_label": labels.get(c["than"], c["than"]),
            "dataset": "+".join(datasets), "split": "+".join(splits), "metric": c["metric"],
            "higher_is_better": c["higher_is_better"], "test": test,
            "seeds": " ".join(map(str, order)), **r, "ci_level": 1 - alpha,
            "correction": correction, "alpha": alpha,
        })
    by_claim: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_claim.setdefault(row["claim"], []).append(i)
    for idx in by_claim.values():
        adjust = holm if correction == "holm" else list
        p_adj = adjust([rows[i]["p"] for i in idx])
        p_opp_adj = adjust([rows[i]["p_opposite"] for i in idx])
        floors = adjust([rows[i]["p_floor"] for i in idx])
        for i, pa, po, fl in zip(idx, p_adj, p_opp_adj, floors):
            rows[i].update(p_adj=pa, p_opposite_adj=po, p_floor=fl,
                           verdict=verdict(rows[i]["effect"], pa, po, alpha))
        overall = claim_verdict([rows[i]["verdict"] for i in idx])
        for i in idx:
            rows[i]["claim_verdict"] = overall
    return pl.DataFrame(rows, schema=RESULT_SCHEMA)


# --- rendering ----------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _num(x, digits: int = 4, sign: bool = False) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _p(x) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def where(row: dict) -> str:
    """"toy (class)", or "mean of a, b (class)" for an averaged comparison."""
    datasets = row["dataset"].split("+")
    on = datasets[0] if len(datasets) == 1 else f"mean of {', '.join(datasets)}"
    return f"{on} ({row['split'].replace('+', ', ')})"


def render_markdown(results: pl.DataFrame, *, title: str, note: str = "") -> str:
    """The claims of one study: a summary (one row per claim: its words, how many of its
    comparisons hold / fail / are inconclusive, its verdict), every comparison (A vs B on
    dataset (split), metric, n, mean difference [CI], p, adjusted p, verdict) and notes on
    the test, the correction and the smallest p the seeds allow."""
    lines = [f"### {title}", ""]
    if results.height == 0:
        return "\n".join(lines + ["No claims.", ""])
    first = results.row(0, named=True)
    alpha, test, corr = first["alpha"], first["test"], first["correction"]
    level = f"{100 * (1 - alpha):g}%"
    lines += ["| Claim | Paper's words | Comparisons | holds / fails / inconclusive | Verdict |",
              "|---|---|---|---|---|"]
    for (claim,), g in results.group_by("claim", maintain_order=True):
        counts = [int((g["verdict"] == v).sum()) for v in VERDICTS]
        lines.append(f"| {_md(claim)} | {_md(g['text'][0])} | {g.height} | "
                     f"{' / '.join(map(str, counts))} | **{g['claim_verdict'][0]}** |")
    adj = "p (Holm)" if corr == "holm" else "p"
    lines += ["", f"| Claim | Comparison | Metric | n | Mean diff [{level} CI] | p | {adj} | "
                  "Verdict |", "|---|---|---|---|---|---|---|---|"]
    floor_hit = False
    for r in results.iter_rows(named=True):
        mark = ""
        if r["p_floor"] is not None and not math.isnan(r["p_floor"]) and r["p_floor"] >= alpha:
            mark, floor_hit = " †", True
        metric = r["metric"] + ("" if r["higher_is_better"] else " (lower is better)")
        if r["verdict"] == "fails":  # the evidence is the opposite test's
            mark += f" ({_md(r['than_label'])} better: p {_p(r['p_opposite_adj'])})"
        lines.append(
            f"| {_md(r['claim'])} | {_md(r['better_label'])} vs {_md(r['than_label'])} on "
            f"{_md(where(r))} | {metric} | {r['n']} | {_num(r['effect'], sign=True)} "
            f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}] | {_p(r['p'])} | "
            f"{_p(r['p_adj']) if corr == 'holm' else _p(r['p'])} | {r['verdict']}{mark} |")
    ns = sorted(set(results["n"].to_list()))
    test_text = {
        "ttest": "one-sided paired t-test (scipy.stats.ttest_rel, alternative='greater'); "
                 "exact when the per-seed differences are normal",
        "wilcoxon": "one-sided Wilcoxon signed-rank test (scipy.stats.wilcoxon, "
                    "alternative='greater', zero differences dropped), no normality "
                    "assumption",
    }[test]
    adjusted = "Holm-adjusted " if corr == "holm" else ""
    notes = [
        f"Each comparison pairs the two methods' runs seed by seed (same seed, same split); "
        f"the mean difference is A − B (B − A for a lower-is-better metric) with its paired-t "
        f"{level} interval; p is the {test_text}.",
        f"Verdict at alpha = {alpha:g}: *holds* when the {adjusted}"
        f"p < alpha and the mean difference > 0; *fails* when the same test of B > A is "
        f"significant; *inconclusive* otherwise. A claim holds when all its comparisons hold "
        f"and fails when any fails."
        + (" Holm's correction runs over the comparisons of each claim." if corr == "holm"
           else " No multiple-comparison correction."),
    ]
    if test == "wilcoxon":
        floors = ", ".join(f"n = {n}: {0.5 ** n:.3g}" for n in ns)
        notes.append(f"The smallest one-sided p a Wilcoxon test can give with n non-zero "
                     f"differences is 1/2^n ({floors}); at alpha = {alpha:g} it needs "
                     f"n >= {math.floor(math.log2(1 / alpha)) + 1} to hold at all"
                     + (", and m/2^n < alpha after Holm over m comparisons" if corr == "holm"
                        else "") + ".")
    elif min(ns) <= 2:
        notes.append("With 2 seeds the t-test has one degree of freedom: only a very "
                     "consistent difference is significant.")
    if floor_hit:
        notes.append("† cannot hold at this number of seeds: the smallest attainable "
                     f"{'adjusted ' if corr == 'holm' else ''}p is >= alpha.")
    for n in notes:
        lines += ["", n]
    lines.append("")
    if note:
        lines += [note.strip(), ""]
    return "\n".join(lines)
