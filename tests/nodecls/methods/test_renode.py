"""Tests of imbgraph.nodecls.methods.renode and imbgraph.nodecls.ppr: the PPR columns against
the dense inverse, top-k, the step count and the memory rule; the Totoro conflicts and the
weights on a hand-made 6-node graph against ReNode's code step by step (the dense reference
of imbgraph.testing), the cosine ranks by hand, and the loss by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from imbgraph.errors import ConfigError
from imbgraph.nodecls.methods.renode import (
    ReNode,
    conflict,
    rank_weights,
    renode_weights,
)
from imbgraph.nodecls.ppr import (
    check_ppr_memory,
    ppr_columns,
    ppr_iterations,
    ppr_memory_mb,
)
from imbgraph.testing.node_baselines import renode_dense
from imbgraph.testing.node_toy import make_batch, make_gnn, reference_ce

# Six nodes: a triangle 0-1-2 of class 0 bridged by 2-3 to a path 3-4-5 of class 1, plus
# a chord 1-4. Training nodes 0, 2, 3, 5 (two per class): 2 and 3 sit on the bridge.
EDGES = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (4, 5), (1, 4)]
Y6 = [0, 0, 0, 1, 1, 1]
TRAIN6 = [0, 2, 3, 5]


def adjacency(edges, n):
    src = [u for u, v in edges] + [v for u, v in edges]
    dst = [v for u, v in edges] + [u for u, v in edges]
    return sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))


def test_ppr_columns_equal_the_dense_inverse():
    pi, _, _ = renode_dense(EDGES, 6, Y6, TRAIN6)
    np.testing.assert_allclose(pi, pi.T, atol=1e-14)  # symmetric: rows are columns
    cols = np.array(TRAIN6)
    got = ppr_columns(adjacency(EDGES, 6), cols, alpha=0.15, tol=1e-12)
    assert got.shape == (6, 4)
    np.testing.assert_allclose(got, pi[:, cols], atol=1e-12)
    coarse = ppr_columns(adjacency(EDGES, 6), cols, alpha=0.15, tol=1e-3)
    assert np.linalg.norm(coarse - pi[:, cols], axis=0).max() <= 1e-3  # the promised bound


def test_ppr_iterations_bound():
    k = ppr_iterations(0.15, 1e-10)
    assert k == 141 and 0.85 ** (k + 1) <= 1e-10 < 0.85 ** k
    assert ppr_iterations(0.5, 0.5) == 0  # X_0 = alpha E already within 0.5


def test_topk_keeps_the_largest_entries_exactly():
    pi, _, _ = renode_dense(EDGES, 6, Y6, TRAIN6)
    cols = np.array(TRAIN6)
    got = ppr_columns(adjacency(EDGES, 6), cols, alpha=0.15, tol=1e-12, topk=2)
    assert sp.issparse(got) and got.shape == (6, 4)
    dense = got.toarray()
    for j, v in enumerate(cols):
        kept = np.flatnonzero(dense[:, j])
        assert set(kept) == set(np.argsort(-pi[:, v], kind="stable")[:2])
        np.testing.assert_allclose(dense[kept, j], pi[kept, v], atol=1e-12)
    # chunked (one column at a time under a tight bound) gives the same matrix
    tight = ppr_columns(adjacency(EDGES, 6), cols, topk=2, tol=1e-12, max_mb=200 / 2 ** 20)
    np.testing.assert_array_equal(tight.toarray(), dense)


def test_memory_rule_names_the_key():
    # dense: two float64 (n, L) buffers
    assert ppr_memory_mb(1000, 100) == pytest.approx(2 * 8 * 1000 * 100 / 2 ** 20)
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.RN\.balancing: the personalised "
                                          r"PageRank of 300 training nodes on 100000 nodes "
                                          r"needs 457.8 MB, above ppr_max_mb = 100; set ppr_topk"):
        check_ppr_memory(100_000, 300, topk=None, max_mb=100, key="nodecls.methods.RN.balancing")
    check_ppr_memory(100_000, 300, topk=64, max_mb=100, key="k")  # chunks + top-k fit
    with pytest.raises(ConfigError, match="lower ppr_topk or raise ppr_max_mb"):
        check_ppr_memory(10_000_000, 300, topk=64, max_mb=100, key="k")
    with pytest.raises(ConfigError, match="balancing: the personalised"):
        ppr_columns(adjacency(EDGES, 6), np.array(TRAIN6), max_mb=1e-6, key="balancing")


def test_weights_equal_renodes_code_on_six_nodes():
    _, totoro, weights = renode_dense(EDGES, 6, Y6, TRAIN6)
    pi = ppr_columns(adjacency(EDGES, 6), np.array(TRAIN6), tol=1e-12)
    np.testing.assert_allclose(conflict(pi, np.array(Y6)[TRAIN6], 2), totoro, rtol=1e-10)
    got = renode_weights(adjacency(EDGES, 6), np.array(TRAIN6), np.array(Y6), 2)
    np.testing.assert_allclose(got, weights, atol=1e-12)
    # the bridge nodes 2 and 3 conflict most: they get the two smallest weights
    assert set(np.argsort(totoro)[2:]) == {1, 2}  # positions of nodes 2 and 3 in TRAIN6
    assert sorted(got.tolist()) == pytest.approx([0.5, 0.75, 1.25, 1.5])
    # top-k PPR (k = n keeps every entry) gives the same weights
    np.testing.assert_allclose(renode_weights(adjacency(EDGES, 6), np.array(TRAIN6),
                                              np.array(Y6), 2, ppr_topk=6), weights, atol=1e-12)


def test_conflict_zero_without_other_classes_in_reach():
    # two components: class 0 on 0-1-2, class 1 on 3-4; no PPR mass crosses
    edges = [(0, 1), (1, 2), (3, 4)]
    pi = ppr_columns(adjacency(edges, 5), np.array([0, 3]), tol=1e-12)
    np.testing.assert_allclose(conflict(pi, np.array([0, 1]), 2), [0.0, 0.0], atol=1e-15)


def test_rank_weights_by_hand():
    # values 3, 1, 2: ranks 2, 0, 1 of 3; w = 0.5 + 0.5 (1 + cos(r pi / 2))
    np.testing.assert_allclose(rank_weights(np.array([3.0, 1.0, 2.0]), 0.5, 1.0),
                               [0.5, 1.5, 1.0], atol=1e-15)
    # ties (to 9 significant digits) rank by position, as Python's stable sort
    np.testing.assert_allclose(rank_weights(np.array([1.0, 1.0 + 1e-13]), 0.5, 1.0),
                               [1.5, 0.5])
    np.testing.assert_allclose(rank_weights(np.array([0.25, 0.25, 0.1, 0.9]), 0.2, 2.0),
                               [0.2 + 1.0 * (1 + math.cos(math.pi / 3)),
                                0.2 + 1.0 * (1 + math.cos(2 * math.pi / 3)), 2.2, 0.2])
    assert rank_weights(np.array([4.0]), 0.5, 1.0).tolist() == [1.5]  # one node: rank 0
    assert rank_weights(np.zeros(0), 0.5, 1.0).shape == (0,)


def test_loss_by_hand():
    gnn = make_gnn()
    w = torch.tensor([1.0, 0.5, 1.5, 1.2, 0.7, 0.9, 1.1])
    cw = torch.tensor([1.0, 2.0, 0.5])
    b = make_batch(weight=cw)
    logits = gnn(b.x, b.adj)[b.train]
    want = sum(float(w[i]) * float(cw[int(t)]) * reference_ce(logits[i:i + 1], t.view(1))
               for i, t in enumerate(b.y[b.train])) / 7
    assert ReNode(gnn, w).loss(b).item() == pytest.approx(want, rel=1e-5)
    b = make_batch()
    plain = sum(float(w[i]) * reference_ce(logits[i:i + 1], t.view(1))
                for i, t in enumerate(b.y[b.train])) / 7
    assert ReNode(gnn, w).loss(b).item() == pytest.approx(plain, rel=1e-5)
