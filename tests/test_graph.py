"""Tests of imbgraph.graph: canonical labels, components, symmetric adjacency (from an edge
list and from a kNN table) and pooling of duplicate scored pairs."""

from __future__ import annotations

import numpy as np

from imbgraph.graph import (
    canonical_labels,
    components,
    knn_adjacency,
    symmetric_adjacency,
    undirected_mean,
)


def test_canonical_labels_number_by_first_occurrence():
    np.testing.assert_array_equal(canonical_labels([7, 7, 3, 9, 3]), [0, 0, 1, 2, 1])
    np.testing.assert_array_equal(canonical_labels(np.array(["b", "a", "b"])), [0, 1, 0])
    assert canonical_labels(np.array([], dtype=np.int64)).shape == (0,)


def test_canonical_labels_equal_partitions_give_equal_arrays():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 6, size=50)
    relabelled = rng.permutation(100)[raw]  # the same partition, other ids
    np.testing.assert_array_equal(canonical_labels(raw), canonical_labels(relabelled))


def test_components_hand_built():
    # 0-1-2 chain, 3 alone, 4-5 pair (given in both directions and twice)
    n, labels = components(6, np.array([0, 1, 4, 5, 4]), np.array([1, 2, 5, 4, 5]))
    assert n == 3
    assert labels[0] == labels[1] == labels[2]
    assert labels[4] == labels[5]
    assert len({labels[0], labels[3], labels[4]}) == 3


def test_components_many_duplicates_do_not_overflow():
    # 300 copies of one edge must stay an edge (an int8 count would wrap to 0 at 256)
    src = np.zeros(256, dtype=np.int64)
    dst = np.ones(256, dtype=np.int64)
    n, labels = components(3, src, dst)
    assert n == 2 and labels[0] == labels[1] != labels[2]


def test_symmetric_adjacency_hand_checked():
    # a self loop (2, 2) is dropped; (0, 1) and (1, 0) are one edge; (1, 3) listed twice
    src = np.array([0, 0, 1, 2, 2, 3, 3])
    dst = np.array([1, 2, 0, 2, 0, 1, 1])
    a = symmetric_adjacency(src, dst, 4)
    assert a.shape == (4, 4) and a.format == "csr" and a.has_sorted_indices
    expected = np.zeros((4, 4), dtype=np.int8)
    for i, j in [(0, 1), (0, 2), (1, 3)]:
        expected[i, j] = expected[j, i] = 1
    np.testing.assert_array_equal(a.toarray(), expected)
    assert a.nnz == 6  # no explicit zeros stored


def random_nbr(n, k, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)])


def test_knn_adjacency_matches_dense_reference():
    nbr = random_nbr(30, 4, seed=0)
    ref = np.zeros((30, 30), dtype=bool)
    for i, row in enumerate(nbr):
        ref[i, row] = ref[row, i] = True
    a = knn_adjacency(nbr)
    np.testing.assert_array_equal(a.toarray().astype(bool), ref)
    assert (a != a.T).nnz == 0 and not a.diagonal().any()


def test_undirected_mean_hand_built():
    a = np.array([0, 1, 2, 2, 3, 5, 7, 1])
    b = np.array([1, 0, 2, 3, 2, 4, 7, 0])
    s = np.array([0.2, 0.4, 0.9, 0.1, 0.3, 0.5, 1.0, 0.6])
    edges, scores = undirected_mean(a, b, s)
    assert edges.tolist() == [[0, 1], [2, 3], [4, 5]]
    np.testing.assert_allclose(scores, [0.4, 0.2, 0.5])  # (0.2 + 0.4 + 0.6) / 3, (0.1 + 0.3) / 2


def test_undirected_mean_only_self_pairs():
    edges, scores = undirected_mean(np.array([3, 4]), np.array([3, 4]), np.array([0.5, 0.5]))
    assert edges.shape == (0, 2) and scores.shape == (0,)
