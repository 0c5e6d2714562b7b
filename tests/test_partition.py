"""Tests of imbgraph.partition: METIS k-way parts of any undirected CSR graph."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from imbgraph.graph import knn_adjacency, symmetric_adjacency
from imbgraph.partition import metis_partition

pymetis = pytest.importorskip("pymetis")


def random_nbr(n, k, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)])


def two_blocks(size=20, k=5, seed=0):
    a = random_nbr(size, k, seed)
    b = random_nbr(size, k, seed + 1) + size
    return knn_adjacency(np.concatenate([a, b]))


def test_metis_covers_all_parts():
    parts = metis_partition(knn_adjacency(random_nbr(120, 6, seed=2)), 4, seed=0)
    assert parts.shape == (120,) and parts.dtype == np.int32
    assert set(parts.tolist()) == {0, 1, 2, 3}
    assert np.bincount(parts).min() >= 120 // 4 // 2  # roughly balanced


def test_metis_deterministic_for_seed():
    adj = knn_adjacency(random_nbr(100, 5, seed=3))
    np.testing.assert_array_equal(metis_partition(adj, 3, seed=7), metis_partition(adj, 3, seed=7))


def test_metis_splits_disconnected_blocks():
    parts = metis_partition(two_blocks(), 2, seed=0)
    assert len(set(parts[:20].tolist())) == 1
    assert len(set(parts[20:].tolist())) == 1
    assert parts[0] != parts[20]


def test_metis_on_an_edge_list_with_isolated_nodes():
    # two triangles and two isolated nodes: every node gets a part, the triangles stay whole
    src = np.array([0, 1, 2, 3, 4, 5])
    dst = np.array([1, 2, 0, 4, 5, 3])
    parts = metis_partition(symmetric_adjacency(src, dst, 8), 2, seed=0)
    assert parts.shape == (8,)
    assert len(set(parts[:3].tolist())) == 1 and len(set(parts[3:6].tolist())) == 1


def test_one_part_is_zeros():
    parts = metis_partition(knn_adjacency(random_nbr(10, 3, seed=0)), 1)
    assert parts.dtype == np.int32
    np.testing.assert_array_equal(parts, np.zeros(10))


def test_n_parts_errors():
    adj = knn_adjacency(random_nbr(10, 3, seed=0))
    with pytest.raises(ValueError, match=r"number of parts = 0; expected an integer >= 1"):
        metis_partition(adj, 0)
    with pytest.raises(ValueError, match="number of parts = 11 exceeds the 10 nodes"):
        metis_partition(adj, 11)


def test_directed_or_looped_graphs_are_refused():
    directed = sp.csr_matrix(np.array([[0, 1], [0, 0]]))
    with pytest.raises(ValueError, match="not symmetric"):
        metis_partition(directed, 2)
    looped = sp.csr_matrix(np.array([[1, 1], [1, 0]]))
    with pytest.raises(ValueError, match="self loops"):
        metis_partition(looped, 2)
