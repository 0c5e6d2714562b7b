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
