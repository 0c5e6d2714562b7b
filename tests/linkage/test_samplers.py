"""Tests of imbgraph.linkage.samplers: kNN, RS and RIWS (DIGL eq. 4.4) hop-1 samplers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from imbgraph.linkage.samplers import (
    get_sampler,
    knn_sampler,
    riws_sampler,
    riws_weights,
    rs_sampler,
)


def tile(row, times):
    return np.tile(np.asarray(row, dtype=bool), (times, 1))


def test_knn_sampler():
    pos = np.zeros((3, 7), dtype=bool)
    out = knn_sampler(pos, 4, np.random.default_rng(0))
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out, np.tile(np.arange(4), (3, 1)))
    out[0, 0] = 9  # a real, writable array
    assert get_sampler("knn")(pos, 2, np.random.default_rng(0)).tolist() == [[0, 1]] * 3


# ---------------------------------------------------------------- RS


def test_rs_balanced_when_both_sides_suffice():
    # k1 = 5, ratio 1.2 -> pool of 6; candidates 6.. are outside the pool
    row = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]  # pool: 3 positives (0, 2, 3), 3 negatives (1, 4, 5)
    pos = tile(row, 400)
    out = rs_sampler(pos, 5, np.random.default_rng(0), ratio=1.2)
    assert out.shape == (400, 5)
    assert np.all(out < 6)
    assert np.all(np.diff(out, axis=1) >= 0)  # sorted per row
    assert np.all(np.diff(out, axis=1) > 0)  # both sides long enough: no repeats
    picked_pos = np.take_along_axis(pos, out, axis=1)
    assert np.all(picked_pos.sum(axis=1) == 2)  # k1 // 2 positives
    assert np.all((~picked_pos).sum(axis=1) == 3)  # k1 - k1 // 2 negatives, i.e. all of them
    # the long (positive) side is under-sampled uniformly: each positive in 2/3 of rows
    freq = np.array([(out == j).any(axis=1).mean() for j in (0, 2, 3)])
    assert np.all(np.abs(freq - 2 / 3) < 5 * math.sqrt(2 / 9 / 400))


def test_rs_short_side_taken_whole_and_other_side_fills():
    k1 = 10  # pool ceil(12) = 12 of 14 candidates
    row = np.zeros(14, dtype=bool)
    row[[1, 6, 9, 12, 13]] = True  # 3 positives in the pool (1, 6, 9), two outside
    pos = tile(row, 300)
    out = rs_sampler(pos, k1, np.random.default_rng(1), ratio=1.2)
    assert np.all(out < 12)
    for r in out:
        assert len(set(r.tolist())) == k1  # distinct: no repetition
        assert {1, 6, 9} <= set(r.tolist())  # every positive of the pool (3 < k1 // 2)
        assert (~row[r]).sum() == 7  # negatives fill the other 7 slots


def test_rs_short_negatives():
    row = [0, 1, 1, 1, 1, 1]  # k1 = 4, ratio 1.5 -> pool 6: 5 positives, 1 negative
    out = rs_sampler(tile(row, 50), 4, np.random.default_rng(2), ratio=1.5)
    assert np.all((out == 0).sum(axis=1) == 1)  # the one negative, once
    assert np.all([len(set(r.tolist())) == 4 for r in out])  # 3 distinct positives fill


@pytest.mark.parametrize("sampler, key", [(rs_sampler, "ratio"), (riws_sampler, "gamma")])
def test_expansion_one_reduces_to_knn(sampler, key):
    # gamma = 1 (Figure 3's first point): the pool is the k1 nearest, all of them are taken
    pos = np.random.default_rng(5).random((200, 12)) < 0.3
    out = sampler(pos, 8, np.random.default_rng(6), **{key: 1.0})
    np.testing.assert_array_equal(out, knn_sampler(pos, 8, np.random.default_rng(0)))


def test_rs_all_negative_fallback():
    # k1 = 4, ratio 1.2 -> pool 5: no positive inside the pool (the one at 5 does not count)
    pos = tile([0, 0, 0, 0, 0, 1], 3)
    out = rs_sampler(pos, 4, np.random.default_rng(0), ratio=1.2)
    np.testing.assert_array_equal(out, np.tile(np.arange(4), (3, 1)))


def test_rs_all_positive_fallback():
    # k1 = 4, ratio 1.2 -> pool 5: every candidate of the pool is a positive
    pos = tile([1, 1, 1, 1, 1, 0], 3)
    out = rs_sampler(pos, 4, np.random.default_rng(0), ratio=1.2)
    np.testing.assert_array_equal(out, np.tile(np.arange(4), (3, 1)))


def test_rs_mixed_batch_rows_independent():
    pos = np.array([[1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]], dtype=bool)
    out = rs_sampler(pos, 4, np.random.default_rng(3), ratio=1.5)
    assert np.take_along_axis(pos[:1], out[:1], axis=1).sum() == 2
    assert out[1].tolist() == [0, 1, 2, 3]
    assert 2 in out[2].tolist() and len(set(out[2].tolist())) == 4


def test_rs_mixed_batch_with_all_positive_row():
    pos = np.array([[1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1]], dtype=bool)
    out = rs_sampler(pos, 4, np.random.default_rng(3), ratio=1.5)
    assert np.take_along_axis(pos[:1], out[:1], axis=1).sum() == 2
    assert out[1].tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------- RIWS


def test_riws_weights_eq_4_4():
    pos = np.array([[1, 0, 0, 0], [1, 1, 1, 0], [0, 1, 0, 1]], dtype=bool)
    w = riws_weights(pos)
    expected = np.array(
        [[0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3], [0.5 / 3, 0.5 / 3, 0.5 / 3, 0.5], [0.25] * 4]
    )
    np.testing.assert_allclose(w, expected)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_riws_k1_one_matches_weights():
    row = [1, 0, 0, 0, 0, 1]  # k1 = 1, gamma 6 -> pool 6; weights 1/4, 1/8 x 4, 1/4
    n = 40000
    out = riws_sampler(tile(row, n), 1, np.random.default_rng(0), gamma=6.0)
    freq = np.bincount(out[:, 0], minlength=6) / n
    w = riws_weights(tile(row, 1))[0]
    np.testing.assert_allclose(w, [0.25, 0.125, 0.125, 0.125, 0.125, 0.25])
    sd = np.sqrt(w * (1 - w) / n)
    assert np.all(np.abs(freq - w) < 4.5 * sd), (freq, w)
    # chi-square with 5 dof: the 0.999 quantile is 20.5
    chi2 = (((freq - w) * n) ** 2 / (w * n)).sum()
    assert chi2 < 20.5


def successive_inclusion(w, k):
    """Exact inclusion probabilities of successive sampling (draw by w, remove, renormalise)."""
    n = len(w)
    incl = np.zeros(n)
    for seq in itertools.permutations(range(n), k):
        p, left = 1.0, 1.0
        for j in seq:
            p *= w[j] / left
            left -= w[j]
        incl[list(seq)] += p
    return incl


def test_riws_inclusion_matches_numpy_choice():
    row = [0, 1, 0, 0, 0, 0, 1, 0]  # k1 = 3, gamma 2.5 -> pool 8
    k1, n = 3, 20000
    w = riws_weights(tile(row, 1))[0]
    out = riws_sampler(tile(row, n), k1, np.random.default_rng(1), gamma=2.5)
    assert np.all(np.diff(out, axis=1) > 0)  # without replacement, sorted
    incl = np.bincount(out.reshape(-1), minlength=8) / n
    ref_rng = np.random.default_rng(2)
    ref = np.zeros(8)
    for _ in range(n):
        ref[ref_rng.choice(8, size=k1, replace=False, p=w)] += 1
    ref /= n
    exact = successive_inclusion(w, k1)
    np.testing.assert_allclose(exact.sum(), k1)
    np.testing.assert_allclose(ref, exact, atol=5 * np.sqrt(0.25 / n))  # the reference agrees
    sd = np.sqrt(2 * exact * (1 - exact) / n)
    assert np.all(np.abs(incl - ref) < 5 * sd), (incl, ref)
    assert np.all(np.abs(incl - exact) < 4.5 * np.sqrt(exact * (1 - exact) / n))
    # and the rebalancing is real: the two positives are included far more than pure uniform
    assert incl[1] > 0.6 and incl[6] > 0.6


def test_riws_within_pool_and_unique():
    rng = np.random.default_rng(4)
    pos = rng.random((500, 12)) < 0.3
    pos[:, 0] = True
    pos[:, 1] = False  # every row two-sided in the pool
    out = riws_sampler(pos, 4, np.random.default_rng(5), gamma=2.0)  # pool 8 of 12
    assert out.shape == (500, 4)
    assert out.max() < 8 and out.min() >= 0
    assert np.all(np.diff(out, axis=1) > 0)
    assert (out >= 4).any()  # it does reach beyond the k1 nearest


@pytest.mark.parametrize("value", [True, False])
def test_riws_one_sided_fallback(value):
    pos = np.full((4, 6), value)
    pos[:, 5] = not value  # outside the pool of ceil(2 * 2.0) = 4: does not count
    out = riws_sampler(pos, 2, np.random.default_rng(0), gamma=2.0)
    np.testing.assert_array_equal(out, np.tile([0, 1], (4, 1)))


def test_riws_determinism():
    pos = np.random.default_rng(0).random((50, 10)) < 0.4
    a = riws_sampler(pos, 3, np.random.default_rng(9), gamma=3.0)
    b = riws_sampler(pos, 3, np.random.default_rng(9), gamma=3.0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("riws", {"gamma": 2.0}, r"sampler gamma = 2.0 needs ceil\(k1\*gamma\) = 8 candidates "
         r"but the stored subgraphs hold 6; raise subgraphs.train.max_gamma"),
        ("rs", {"ratio": 1.6}, r"sampler ratio = 1.6 needs ceil\(k1\*ratio\) = 7 .*max_gamma"),
    ],
)
def test_more_candidates_than_stored(name, params, match):
    pos = np.zeros((2, 6), dtype=bool)
    pos[:, 0] = True
    with pytest.raises(ValueError, match=match):
        get_sampler(name, **params)(pos, 4, np.random.default_rng(0))


def test_get_sampler_binds_params():
    pos = np.zeros((200, 10), dtype=bool)
    pos[:, 1] = True
    out = get_sampler("riws", gamma=1.5)(pos, 2, np.random.default_rng(0))  # pool 3
    assert out.max() <= 2
    # the positive at 1 weighs 1/2, the negatives 1/4: included with probability 3/4
    assert abs((out == 1).any(axis=1).mean() - 0.75) < 5 * math.sqrt(0.75 * 0.25 / 200)


def test_get_sampler_unknown():
    with pytest.raises(KeyError, match=r"sampler = 'uniform'; expected one of \['knn', 'riws', 'rs'\]"):
        get_sampler("uniform")
