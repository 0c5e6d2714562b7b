"""Tests of imbgraph.nodecls.methods.ecgn.smote: how many synthetic nodes (the paper's counts and
cap), the boundary ranking against a per-node loop, seeds / partners / interpolation against
a straightforward reference, and the synthetic nodes' edges (the seed's plus the seed link)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.synthetic import contextual_sbm
from imbgraph.nodecls.methods.ecgn.clusters import boundary_connectivity, node_clusters
from imbgraph.nodecls.methods.ecgn.smote import (
    augment_graph,
    boundary_ranking,
    cluster_smote,
    synthetic_counts,
    synthetic_links,
)

pytest.importorskip("pymetis")


@pytest.fixture(scope="module")
def graph():
    return contextual_sbm([40, 40, 30], avg_degree=5, homophily=0.8, feature_dim=4, seed=7)


# --- counts -----------------------------------------------------------------------------------
def test_counts_cora_raise_minority_to_100():
    counts = np.array([20, 200, 20, 200, 200, 200, 20])
    new = synthetic_counts(counts, [0, 2, 6], target=100)
    np.testing.assert_array_equal(new, [80, 0, 80, 0, 0, 0, 80])


def test_counts_cap_below_half_the_largest_class():
    # Amazon Computers: 50 -> 600 asks 550 new nodes, but fewer than 50% of 800 allowed
    counts = np.array([50, 800, 50, 800])
    np.testing.assert_array_equal(synthetic_counts(counts, [0, 2], target=600), [399, 0, 399, 0])
    np.testing.assert_array_equal(
        synthetic_counts(counts, [0, 2], target=600, max_fraction=None), [550, 0, 550, 0])


def test_counts_scale_and_empty_class():
    counts = np.array([4, 0, 10])
    np.testing.assert_array_equal(
        synthetic_counts(counts, [0, 1], scale=2.0, max_fraction=None), [8, 0, 0])
    # the cap: fewer than 50% of 10, so at most 4
    np.testing.assert_array_equal(synthetic_counts(counts, [0, 1], scale=2.0), [4, 0, 0])
    np.testing.assert_array_equal(synthetic_counts(counts, [0, 1], target=7), [3, 0, 0])


def test_counts_need_exactly_one_amount():
    # config resolution gives exactly one: anything else is a caller's bug, not a config error
    with pytest.raises(ValueError, match="nodecls.methods.E.balancing: .*exactly one"):
        synthetic_counts(np.array([5, 5]), [0], key="nodecls.methods.E.balancing")
    with pytest.raises(ValueError, match="exactly one"):
        synthetic_counts(np.array([5, 5]), [0], target=3, scale=1.0)


# --- ranking ----------------------------------------------------------------------------------
def test_boundary_ranking_against_a_loop(graph):
    c = node_clusters(graph, 3, seed=0)
    conn = boundary_connectivity(graph.edge_index, c)
    nodes = np.arange(0, graph.num_nodes, 2)
    nbrs = graph.adjacency().tolil().rows
    ref_conn = {v: sum(1 for u in nbrs[v] if c[u] != c[v]) for v in nodes.tolist()}
    ref = sorted(nodes.tolist(), key=lambda v: (-ref_conn[v], v))
    assert boundary_ranking(nodes[::-1], conn).tolist() == ref
    assert conn[ref[0]] >= conn[ref[-1]]


def test_boundary_ranking_ties_by_node_id():
    conn = np.array([0, 2, 2, 0, 5])
    assert boundary_ranking(np.array([3, 2, 1, 0, 4]), conn).tolist() == [4, 1, 2, 0, 3]


# --- the draw -----------------------------------------------------------------------------------
def reference_draw(h, y, train, conn, new, seed_fraction):
    """Per-class loops: ranked seeds used in turn, partner by brute-force distances."""
    seeds, partners, labels = [], [], []
    for c in range(new.shape[0]):
        if new[c] == 0:
            continue
        nodes = sorted(int(v) for v in train if y[v] == c)
        ranked = sorted(nodes, key=lambda v: (-conn[v], v))
        s = max(1, int(np.ceil(seed_fraction * len(nodes))))
        for i in range(int(new[c])):
            v = ranked[i % s]
            best, best_d = v, np.inf
            for u in nodes:
                d = float(np.linalg.norm(h[u] - h[v]))
                if u != v and d < best_d:
                    best, best_d = u, d
            seeds.append(v)
            partners.append(best)
            labels.append(c)
    return seeds, partners, labels


@pytest.mark.parametrize("seed_fraction", [1.0, 0.5, 0.1])
def test_draw_matches_the_reference(graph, seed_fraction):
    c = node_clusters(graph, 3, seed=0)
    conn = boundary_connectivity(graph.edge_index, c)
    train = np.arange(0, graph.num_nodes, 3)
    new = np.array([7, 0, 13])
    h = torch.as_tensor(graph.x)
    torch.manual_seed(0)
    draw = cluster_smote(h, graph.y, train, conn, new, seed_fraction=seed_fraction)
    seeds, partners, labels = reference_draw(graph.x, graph.y, train, conn, new, seed_fraction)
    assert draw.seed.tolist() == seeds
    assert draw.partner.tolist() == partners
    assert draw.label.tolist() == labels
    assert len(draw) == 20
    d = draw.delta
    assert d.shape == (20, 1) and float(d.min()) >= 0.0 and float(d.max()) < 1.0
    feats = draw.features(h)
    ref = h[draw.seed] + d * (h[draw.partner] - h[draw.seed])
    torch.testing.assert_close(feats, ref)
    # each synthetic row lies on the segment between its seed and partner
    lo = torch.minimum(h[draw.seed], h[draw.partner]) - 1e-6
    hi = torch.maximum(h[draw.seed], h[draw.partner]) + 1e-6
    assert bool(((feats >= lo) & (feats <= hi)).all())


def test_single_training_node_duplicates_it(graph, caplog):
    train = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    y = graph.y.copy()
    y[train] = 0
    y[5] = 1  # class 1 has a single training node
    conn = np.zeros(graph.num_nodes, np.int64)
    h = torch.as_tensor(graph.x)
    with caplog.at_level(logging.WARNING):
        draw = cluster_smote(h, y, train, conn, np.array([0, 4, 3]))
    assert "single training node" in caplog.text
    assert "class 2 has no training node" in caplog.text
    assert draw.seed.tolist() == [5] * 4 and draw.partner.tolist() == [5] * 4
    torch.testing.assert_close(draw.features(h), h[[5, 5, 5, 5]])


def test_nothing_to_draw():
    draw = cluster_smote(torch.zeros(3, 2), np.zeros(3, np.int64), np.array([0]),
                         np.zeros(3, np.int64), np.array([0, 0]))
    assert len(draw) == 0 and draw.features(torch.zeros(3, 2)).shape == (0, 2)
    with pytest.raises(ValueError, match="seed_fraction"):
        cluster_smote(torch.zeros(3, 2), np.zeros(3, np.int64), np.array([0]),
                      np.zeros(3, np.int64), np.array([1]), seed_fraction=0.0)


# --- edges -------------------------------------------------------------------------------------
def test_synthetic_edges_are_the_seeds_plus_the_seed_link(graph):
    seed = np.array([3, 3, 17, 0, 42])
    n = graph.num_nodes
    ei = augment_graph(graph.edge_index, seed, n)
    assert ei.shape[1] == graph.edge_index.shape[1] + 2 * sum(
        int(graph.degree()[s]) + 1 for s in seed)
    np.testing.assert_array_equal(ei[:, : graph.edge_index.shape[1]], graph.edge_index)
    out = {}
    for u, v in ei.T.tolist():
        out.setdefault(u, set()).add(v)
    nbrs = graph.adjacency().tolil().rows
    for i, s in enumerate(seed.tolist()):
        assert out[n + i] == set(nbrs[s]) | {s}       # the seed's edges plus the seed link
        for v in out[n + i]:
            assert n + i in out[v]                    # undirected
    # synthetic nodes are not linked to each other
    assert all(v < n for i in range(len(seed)) for v in out[n + i])
    syn, other = synthetic_links(graph.edge_index, seed, n)
    assert np.all(np.diff(syn) >= 0) and other[syn == n + 4][-1] == 42


def test_isolated_seed_links_only_to_itself():
    g = NodeGraph.from_edges(np.zeros((4, 1), np.float32), np.array([0]), np.array([1]),
                             np.zeros(4), ("a",))
    syn, other = synthetic_links(g.edge_index, np.array([3, 0]), 4)
    assert syn.tolist() == [4, 5, 5] and other.tolist() == [3, 1, 0]
