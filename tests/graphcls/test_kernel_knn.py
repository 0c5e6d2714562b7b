"""Tests of imbgraph.graphcls.kernel_knn: kernel features by hand, kNN without self and by
similarity."""

from __future__ import annotations

import numpy as np

from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.kernel_knn import kernel_knn, shortest_path_features, wl_features


def paths_and_triangle() -> GraphCollection:
    # graph 0: path 0-1-2; graph 1: path 3-4-5; graph 2: triangle 6-7-8; graph 3: path 9-10
    src = np.array([0, 1, 3, 4, 6, 7, 6, 9])
    dst = np.array([1, 2, 4, 5, 7, 8, 8, 10])
    return GraphCollection.from_edges(np.ones((11, 1)), src, dst, np.array([0, 3, 6, 9, 11]),
                                      np.array([0, 0, 1, 1]))


def test_shortest_path_counts():
    f = shortest_path_features(paths_and_triangle(), use_labels=False).toarray()
    # path of 3: two pairs at distance 1, one at 2; triangle: three at 1; path of 2: one at 1
    assert sorted(map(tuple, f.tolist())) == sorted([(2, 1), (2, 1), (3, 0), (1, 0)])


def test_identical_graphs_are_nearest():
    c = paths_and_triangle()
    for kernel in ("shortest_path", "wl"):
        knn = kernel_knn(c, 1, kernel=kernel)
        assert knn[:, 0].tolist()[:2] == [1, 0]  # the two 3-paths find each other
        assert (knn[:, 0] != np.arange(4)).all()
    f = wl_features(c, iterations=2).toarray()
    assert (f[0] == f[1]).all() and not (f[0] == f[2]).all()


def test_shortest_path_counts_with_labels_equal_a_pair_loop():
    # two random labelled graphs (one disconnected): every node pair's (labels, distance)
    # counted one by one against the per-graph counted features
    from collections import Counter

    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    rng = np.random.default_rng(0)
    sizes, src, dst, lab = [9, 7], [], [], []
    for lo, n in zip((0, 9), sizes):
        pairs = rng.choice(n * n, size=n + 2, replace=False)
        u, v = pairs // n, pairs % n
        keep = u != v
        src.append(lo + u[keep])
        dst.append(lo + v[keep])
        lab.append(rng.integers(0, 3, size=n))
    lab = np.concatenate(lab)
    c = GraphCollection.from_edges(np.eye(3)[lab], np.concatenate(src), np.concatenate(dst),
                                   np.array([0, 9, 16]), np.array([0, 1]))
    f = shortest_path_features(c).toarray()
    rows = []
    for g, (lo, n) in enumerate(zip((0, 9), sizes)):
        e = c.edge_index[:, c.edge_ptr[g]:c.edge_ptr[g + 1]] - lo
        d = shortest_path(csr_matrix((np.ones(e.shape[1]), (e[0], e[1])), shape=(n, n)),
                          unweighted=True, directed=False)
        rows.append(Counter((min(lab[lo + i], lab[lo + j]), max(lab[lo + i], lab[lo + j]),
                             int(d[i, j])) for i in range(n) for j in range(i + 1, n)
                            if np.isfinite(d[i, j])))
    assert f.sum(axis=1).tolist() == [sum(r.values()) for r in rows]
    # same multiset of counts per graph (the columns' numbering is internal)
    for g in range(2):
        assert sorted(f[g][f[g] > 0].tolist()) == sorted(map(float, rows[g].values()))
