"""Tests of imbgraph.partition: kNN adjacency and METIS shards."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.partition import metis_partition, symmetric_adjacency


def test_symmetric_adjacency_hand_checked():
    # node 2 lists itself (must be dropped); 0->1 and 1->0 duplicate one edge
    nbr = np.array([[1, 2], [0, 3], [2, 0], [1, 1]])
    a = symmetric_adjacency(nbr)
    assert a.shape == (4, 4) and a.format == "csr"
    dense = a.toarray()
    expected = np.zeros((4, 4), dtype=np.int8)
    for i, j in [(0, 1), (0, 2), (1, 3)]:
        expected[i, j] = expected[j, i] = 1
    np.testing.assert_array_equal(dense, expected)
    assert a.nnz == 6  # no explicit zeros stored
    assert (a != a.T).nnz == 0
    assert np.all(a.diagonal() == 0)


def random_nbr(n, k, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)])


def test_symmetric_adjacency_matches_dense_reference():
    nbr = random_nbr(30, 4, seed=0)
    ref = np.zeros((30, 30), dtype=bool)
    for i, row in enumerate(nbr):
        ref[i, row] = ref[row, i] = True
    np.testing.assert_array_equal(symmetric_adjacency(nbr).toarray().astype(bool), ref)


pymetis = pytest.importorskip("pymetis")


def two_blocks(size=20, k=5, seed=0):
    a = random_nbr(size, k, seed)
    b = random_nbr(size, k, seed + 1) + size
    return np.concatenate([a, b])


def test_metis_covers_all_parts():
    nbr = random_nbr(120, 6, seed=2)
    parts = metis_partition(nbr, 4, seed=0)
    assert parts.shape == (120,) and parts.dtype == np.int32
    assert set(parts.tolist()) == {0, 1, 2, 3}
    assert np.bincount(parts).min() >= 120 // 4 // 2  # roughly balanced


def test_metis_deterministic_for_seed():
    nbr = random_nbr(100, 5, seed=3)
    np.testing.assert_array_equal(metis_partition(nbr, 3, seed=7), metis_partition(nbr, 3, seed=7))


def test_metis_splits_disconnected_blocks():
    nbr = two_blocks()
    parts = metis_partition(nbr, 2, seed=0)
    assert len(set(parts[:20].tolist())) == 1
    assert len(set(parts[20:].tolist())) == 1
    assert parts[0] != parts[20]


def test_one_part_is_zeros():
    parts = metis_partition(random_nbr(10, 3, seed=0), 1)
    assert parts.dtype == np.int32
    np.testing.assert_array_equal(parts, np.zeros(10))


def test_n_parts_errors():
    nbr = random_nbr(10, 3, seed=0)
    with pytest.raises(ValueError, match=r"partition.shards = 0; expected >= 1"):
        metis_partition(nbr, 0)
    with pytest.raises(ValueError, match="partition.shards = 11 exceeds the 10 nodes"):
        metis_partition(nbr, 11)
