"""Tests of imbgraph.tables.sensitivity: per-protocol average ranks by hand, Kendall's tau
between protocols against scipy.stats, the Friedman test over every dataset x protocol cell,
and the Markdown rendering."""

from __future__ import annotations

import polars as pl
import pytest
from scipy import stats

from imbgraph.tables.sensitivity import ALL, protocol_sensitivity, render_sensitivity

# (dataset, split) -> means of methods A, B, C (one seed each); split z has no run of C on d2.
MEANS = {
    ("d1", "x"): [0.9, 0.8, 0.7], ("d2", "x"): [0.8, 0.9, 0.7],
    ("d1", "y"): [0.7, 0.8, 0.9], ("d2", "y"): [0.6, 0.9, 0.8],
    ("d1", "z"): [0.5, 0.6, 0.4], ("d2", "z"): [0.5, 0.6, None],
}
PROTOCOLS = {"step": "x", "natural": "y", "longtail": "z"}


def runs() -> pl.DataFrame:
    rows = [{"method": m, "dataset": d, "split": s, "seed": 0, "value": v}
            for (d, s), values in MEANS.items() for m, v in zip("ABC", values) if v is not None]
    return pl.DataFrame(rows)


def test_protocol_sensitivity_by_hand():
    s = protocol_sensitivity(runs(), methods=["A", "B", "C"], labels={"A": "Alpha"},
                             datasets=["d1", "d2"], protocols=PROTOCOLS)
    rank = {(r["method"], r["protocol"]): r["avg_rank"] for r in s.ranks.iter_rows(named=True)}
    # step: d1 ranks 1,2,3; d2 2,1,3 -> 1.5, 1.5, 3. natural: 3,2,1 and 3,1,2 -> 3, 1.5, 1.5
    assert [rank[(m, "step")] for m in ("Alpha", "B", "C")] == [1.5, 1.5, 3.0]
    assert [rank[(m, "natural")] for m in ("Alpha", "B", "C")] == [3.0, 1.5, 1.5]
    assert [rank[(m, "longtail")] for m in ("Alpha", "B", "C")] == [2.0, 1.0, 3.0]  # d1 only
    tau = {(r["protocol_a"], r["protocol_b"], r["dataset"]): r["tau"]
           for r in s.taus.iter_rows(named=True)}
    ref = stats.kendalltau([-1.5, -1.5, -3.0], [-3.0, -1.5, -1.5]).statistic
    assert tau[("step", "natural", ALL)] == pytest.approx(ref)
    assert tau[("step", "natural", "d1")] == pytest.approx(-1.0)  # reversed order
    assert tau[("step", "natural", "d2")] == pytest.approx(
        stats.kendalltau([0.8, 0.9, 0.7], [0.6, 0.9, 0.8]).statistic)
    assert ("step", "longtail", "d2") not in tau  # incomplete cell
    # Friedman over the 5 complete cells
    assert s.cells == [("d1", "step"), ("d2", "step"), ("d1", "natural"), ("d2", "natural"),
                       ("d1", "longtail")]
    cells = [MEANS[("d1", "x")], MEANS[("d2", "x")], MEANS[("d1", "y")], MEANS[("d2", "y")],
             MEANS[("d1", "z")]]
    ref = stats.friedmanchisquare(*zip(*cells))
    assert s.test.statistic == pytest.approx(ref.statistic)
    assert (s.test.n, s.test.k) == (5, 3)
    overall = {r["method"]: r["avg_rank"] for r in s.ranks.iter_rows(named=True)
               if r["protocol"] == ALL}
    # Alpha 1+2+3+3+2, B 2+1+2+1+1, C 3+3+1+2+3
    assert overall == pytest.approx({"Alpha": 11 / 5, "B": 7 / 5, "C": 12 / 5})


def test_lower_is_better_reverses_the_ranks():
    s = protocol_sensitivity(runs(), methods=["A", "B", "C"], labels={}, datasets=["d1"],
                             protocols={"step": "x", "natural": "y"}, higher_is_better=False)
    rank = {(r["method"], r["protocol"]): r["avg_rank"] for r in s.ranks.iter_rows(named=True)}
    assert [rank[(m, "step")] for m in "ABC"] == [3.0, 2.0, 1.0]
    assert s.taus.filter(pl.col("dataset") == "d1")["tau"].item() == pytest.approx(-1.0)


def test_render_sensitivity():
    s = protocol_sensitivity(runs(), methods=["A", "B", "C"], labels={}, datasets=["d1", "d2"],
                             protocols=PROTOCOLS)
    md = render_sensitivity(s, title="T", metric_label="Balanced ACC", protocols=PROTOCOLS,
                            datasets=["d1", "d2"], dataset_labels={"d1": "One"}, note="N.")
    assert "| Protocols | Average ranks | One | d2 | Mean over datasets |" in md
    assert "| step vs natural | " in md and "| -1.00 (" in md
    assert "| step vs longtail | " in md and "n/a" in md
    assert "Friedman test over 5 dataset x protocol cells and 3 methods" in md
    assert md.rstrip().endswith("N.")
