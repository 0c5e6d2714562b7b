"""Tests of imbgraph.tables.ranking: ranks with averaged ties, the Friedman statistic against
scipy.stats and Demsar's formula, Nemenyi's q and CD against Demsar's published values, the
CD groups, Kendall's tau against scipy.stats, and the two figures."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from imbgraph.tables.ranking import (
    average_ranks,
    cd_groups,
    cell_ranks,
    critical_difference,
    friedman,
    kendall_tau,
    nemenyi_q,
    plot_cd,
    plot_rank_profiles,
    score_matrix,
)

# 4 cells x 3 methods; cell 2 ties A and C (ranks 1.5 each), cell 3 ties all three.
SCORES = np.array([
    [0.9, 0.7, 0.8],
    [0.6, 0.5, 0.6],
    [0.4, 0.4, 0.4],
    [0.8, 0.9, 0.1],
])
RANKS = np.array([  # by hand: 1 = best
    [1.0, 3.0, 2.0],
    [1.5, 3.0, 1.5],
    [2.0, 2.0, 2.0],
    [2.0, 1.0, 3.0],
])


def test_cell_ranks_average_ties_best_first():
    np.testing.assert_array_equal(cell_ranks(SCORES), RANKS)
    np.testing.assert_array_equal(cell_ranks(-SCORES, higher_is_better=False), RANKS)
    np.testing.assert_allclose(average_ranks(RANKS), [6.5 / 4, 9 / 4, 8.5 / 4])


def test_cell_ranks_refuse_missing_values():
    with pytest.raises(ValueError, match="missing value"):
        cell_ranks(np.array([[0.1, np.nan]]))


def test_friedman_matches_scipy_and_demsar_without_ties():
    rng = np.random.default_rng(0)
    s = rng.random((6, 4))  # continuous: no ties, so scipy's correction is 1
    res = friedman(s)
    ref = stats.friedmanchisquare(*s.T)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.pvalue == pytest.approx(ref.pvalue)
    # Demsar Eq. (1): chi2_F = 12 N / (k (k+1)) [sum_j R_j^2 - k (k+1)^2 / 4]
    n, k = s.shape
    r = average_ranks(cell_ranks(s))
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(r ** 2) - k * (k + 1) ** 2 / 4)
    assert res.statistic == pytest.approx(chi2)
    assert (res.k, res.n) == (4, 6)


def test_friedman_with_ties_is_scipys():
    res = friedman(SCORES)
    ref = stats.friedmanchisquare(*SCORES.T)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.pvalue == pytest.approx(ref.pvalue)


def test_friedman_below_three_methods_gives_only_the_cd():
    res = friedman(SCORES[:, :2])
    assert math.isnan(res.statistic) and math.isnan(res.pvalue)
    assert res.cd == pytest.approx(critical_difference(2, 4))


def test_nemenyi_q_is_demsars_table():
    # Demsar (2006) Table 5(a), q_0.05 and q_0.10
    for k, q05, q10 in [(2, 1.960, 1.645), (3, 2.343, 2.052), (4, 2.569, 2.291),
                        (5, 2.728, 2.459), (10, 3.164, 2.920)]:
        assert nemenyi_q(k, 0.05) == pytest.approx(q05, abs=1e-3)
        assert nemenyi_q(k, 0.10) == pytest.approx(q10, abs=1e-3)


def test_critical_difference_is_demsars_example():
    # Demsar Sec. 3.2.2: four methods on 14 data sets, CD = 1.25 at 0.05 and 1.12 at 0.10
    assert critical_difference(4, 14, 0.05) == pytest.approx(1.25, abs=5e-3)
    assert critical_difference(4, 14, 0.10) == pytest.approx(1.12, abs=5e-3)
    assert critical_difference(4, 14) == pytest.approx(2.569 * math.sqrt(20 / 84), abs=1e-3)


def test_cd_groups_are_maximal_runs_within_the_cd():
    avg = [1.0, 1.5, 2.4, 3.0, 3.2]
    assert cd_groups(avg, 1.0) == [(0, 1), (1, 2), (2, 3, 4)]
    assert cd_groups(avg, 0.1) == []  # every pair differs
    assert cd_groups(avg, 5.0) == [(0, 1, 2, 3, 4)]
    assert cd_groups([2.0, 1.0], 1.0) == []  # a difference of exactly CD is significant
    assert cd_groups([3.3, 5.1], 1.8) == []  # 5.1 - 3.3 = 1.7999999999999998 in floats
    assert cd_groups([3.0, 1.0, 1.2], 0.5) == [(1, 2)]  # indices, best first


def test_kendall_tau_is_scipys():
    a, b = [0.9, 0.8, 0.7, 0.6, 0.5], [0.9, 0.7, 0.8, 0.5, 0.6]
    tau, p = kendall_tau(a, b)
    ref = stats.kendalltau(a, b)
    assert tau == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert tau == pytest.approx((8 - 2) / 10)  # 8 concordant, 2 discordant pairs
    assert kendall_tau([1, 2, 3], [3, 2, 1])[0] == pytest.approx(-1.0)
    assert math.isnan(kendall_tau([1.0], [2.0])[0])


def test_score_matrix_means_over_seeds_and_drops_incomplete_cells():
    runs = pl.DataFrame({
        "method": ["A", "A", "B", "B", "A", "B", "A"],
        "dataset": ["d1", "d1", "d1", "d1", "d2", "d2", "d3"],
        "split": ["s"] * 7,
        "seed": [0, 1, 0, 1, 0, 0, 0],
        "value": [0.5, 0.7, 0.2, 0.4, 0.1, float("nan"), 0.3],
    })
    m, kept = score_matrix(runs, ["A", "B"], [("d1", "s"), ("d2", "s"), ("d3", "s")])
    np.testing.assert_allclose(m, [[0.6, 0.3]])
    assert kept == [("d1", "s")]


def test_figures_are_written(tmp_path):
    plot_cd({"A": 1.2, "B": 2.0, "C": 2.8}, 1.0, title="t", png=tmp_path / "cd.png",
            pdf=tmp_path / "cd.pdf")
    ranks = pl.DataFrame({"method": ["A", "A", "B", "B"], "protocol": ["p", "q", "p", "q"],
                          "avg_rank": [1.0, 2.0, 2.0, 1.0]})
    plot_rank_profiles(ranks, title="t", png=tmp_path / "r.png", pdf=tmp_path / "r.pdf")
    for name in ("cd.png", "cd.pdf", "r.png", "r.pdf"):
        assert (tmp_path / name).stat().st_size > 1000
