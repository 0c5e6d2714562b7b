"""Tests of imbgraph.graphcls.encodings: hand-computed return probabilities and agreement of
the half-power computation with PyG's AddRandomWalkPE."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.encodings import random_walk_pe

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_triangle_and_path_by_hand():
    # graph 0: triangle; graph 1: path a-b-c; graph 2: an isolated node
    c = GraphCollection.from_edges(np.zeros((7, 1)), np.array([0, 1, 0, 3, 4]),
                                   np.array([1, 2, 2, 4, 5]), np.array([0, 3, 6, 7]),
                                   np.array([0, 1, 0]))
    pe = random_walk_pe(c, 4)
    np.testing.assert_allclose(pe[:3], [[0, 0.5, 0.25, 0.375]] * 3, atol=1e-6)
    # path end a: P^2_aa = 1 (a->b->a), P^4_aa = 1 * (1/2) + ... = 0.5; middle b: 0.5, 0.5
    np.testing.assert_allclose(pe[3], [0, 0.5, 0, 0.5], atol=1e-6)
    np.testing.assert_allclose(pe[4], [0, 1.0, 0, 1.0], atol=1e-6)
    np.testing.assert_allclose(pe[6], [0, 0, 0, 0])


@pytest.mark.parametrize("dim", [1, 3, 6])
def test_half_equals_pyg(tiny, dim):
    a = random_walk_pe(tiny, dim, method="half", chunk_nodes=500)
    b = random_walk_pe(tiny, dim, method="pyg", chunk_nodes=500)
    assert a.shape == (tiny.num_nodes, dim) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_dim(tiny):
    with pytest.raises(ValueError, match="dim = 0"):
        random_walk_pe(tiny, 0)
