"""Tests of imbgraph.knn: exact search against numpy brute force, table round trip, recall."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from imbgraph.knn import KnnTable, recall, search


def unit_rows(n, dim, seed):
    x = np.random.default_rng(seed).standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force(x, k):
    sim = x.astype(np.float64) @ x.astype(np.float64).T
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")
    srt = np.take_along_axis(sim, order, axis=1)
    # the data must have no near-ties among the first k + 1, or the comparison is ill-posed
    assert np.min(srt[:, :k] - srt[:, 1 : k + 1]) > 1e-5
    return order[:, :k], srt[:, :k]


@pytest.mark.parametrize("batch_size", [16384, 37])
def test_flat_equals_brute_force(batch_size):
    x = unit_rows(150, 8, seed=1)
    k = 6
    table = search(x, k, index="flat", batch_size=batch_size)
    ids, sims = brute_force(x, k)
    assert table.nbr.shape == (150, k) and table.nbr.dtype == np.int32
    assert table.sim.dtype == np.float32
    assert table.k == k
    np.testing.assert_array_equal(table.nbr, ids)
    np.testing.assert_allclose(table.sim, sims, atol=1e-5)
    assert not (table.nbr == np.arange(150)[:, None]).any()
    assert np.all(np.diff(table.sim, axis=1) <= 0)


def test_tiny_hand_checked():
    # 1-D-ish points on a circle at angles 0, 10, 30, 70 degrees
    ang = np.deg2rad([0.0, 10.0, 30.0, 70.0])
    x = np.stack([np.cos(ang), np.sin(ang)], axis=1).astype(np.float32)
    table = search(x, 2)
    assert table.nbr.tolist() == [[1, 2], [0, 2], [1, 0], [2, 1]]
    np.testing.assert_allclose(table.sim[3], np.cos(np.deg2rad([40.0, 60.0])), atol=1e-6)


def test_ivf_with_all_lists_probed_is_exact():
    x = unit_rows(400, 8, seed=4)
    k = 5
    table = search(x, k, index="ivf", index_params={"nlist": 4, "nprobe": 4})
    np.testing.assert_array_equal(table.nbr, brute_force(x, k)[0])


@pytest.mark.parametrize("k", [0, 10, 11])
def test_k_out_of_range(k):
    with pytest.raises(ValueError, match=rf"knn k = {k} must be in \[1, 9\] for 10 rows"):
        search(unit_rows(10, 4, seed=0), k)


def test_unknown_index():
    with pytest.raises(ValueError, match="expected one of 'flat', 'hnsw', 'ivf'"):
        search(unit_rows(10, 4, seed=0), 2, index="lsh")


def test_arrow_round_trip():
    table = search(unit_rows(30, 4, seed=3), 4)
    arrow = table.to_arrow()
    assert arrow.column_names == ["nbr", "sim"]
    assert arrow.schema.field("nbr").type == pa.list_(pa.int32(), 4)
    assert arrow.schema.field("sim").type == pa.list_(pa.float32(), 4)
    # chunked input, as a parquet reader may return
    chunked = pa.concat_tables([arrow.slice(0, 11), arrow.slice(11)])
    for t in (arrow, chunked):
        back = KnnTable.from_arrow(t)
        np.testing.assert_array_equal(back.nbr, table.nbr)
        np.testing.assert_array_equal(back.sim, table.sim)
        assert back.nbr.dtype == np.int32 and back.sim.dtype == np.float32


def test_recall_identical_is_one():
    table = search(unit_rows(40, 4, seed=4), 5)
    assert recall(table, table) == 1.0


def test_recall_hand_computed():
    exact = KnnTable(np.array([[1, 2], [0, 2], [0, 1], [2, 1]], np.int32), np.zeros((4, 2), np.float32))
    approx = KnnTable(np.array([[2, 1], [0, 3], [3, 2], [0, 3]], np.int32), np.zeros((4, 2), np.float32))
    # row hits: 2/2, 1/2, 0/2, 0/2
    assert recall(approx, exact) == pytest.approx(3 / 8)
    # an approximate table with more columns: row 0 finds both, row 1 finds 0 and 2, ...
    wide = KnnTable(np.array([[3, 2, 1], [2, 3, 0], [1, 3, 2], [0, 1, 3]], np.int32), np.zeros((4, 3), np.float32))
    assert recall(wide, exact) == pytest.approx((2 + 2 + 1 + 1) / 8)


def test_recall_does_not_match_across_rows():
    # row 0's neighbour ids appear in row 1 of approx only; that must not count
    exact = KnnTable(np.array([[1], [2], [0]], np.int32), np.zeros((3, 1), np.float32))
    approx = KnnTable(np.array([[2], [1], [1]], np.int32), np.zeros((3, 1), np.float32))
    assert recall(approx, exact) == 0.0


def test_hnsw_recall_high():
    x = unit_rows(600, 16, seed=5)
    exact = search(x, 10)
    approx = search(x, 10, index="hnsw", index_params={"m": 16, "ef_search": 64})
    assert not (approx.nbr == np.arange(600)[:, None]).any()
    assert recall(approx, exact) > 0.9
