"""Tests of imbgraph.nodecls.methods.ecgn.clusters: METIS clusters of a NodeGraph, intra-cluster
subgraphs and boundary connectivity, checked against straightforward per-edge / per-node
loops; edge cases (k out of range, isolated nodes, several components); the Parquet file."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError, InputError
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.synthetic import contextual_sbm
from imbgraph.nodecls.methods.ecgn.clusters import (
    boundary_connectivity,
    check_clusters,
    cluster_sizes,
    cluster_subgraph,
    intra_cluster_edges,
    node_clusters,
    read_clusters,
    write_clusters,
)

pytest.importorskip("pymetis")


@pytest.fixture(scope="module")
def graph():
    return contextual_sbm([40, 40, 30], avg_degree=5, homophily=0.8, feature_dim=4, seed=7)


def toy_graph() -> NodeGraph:
    # two triangles {0,1,2} {3,4,5}, a bridge 2-3, a separate edge 6-7 and isolated 8, 9
    src = np.array([0, 1, 2, 2, 3, 4, 5, 6])
    dst = np.array([1, 2, 0, 3, 4, 5, 3, 7])
    return NodeGraph.from_edges(np.zeros((10, 1), np.float32), src, dst, np.zeros(10),
                                ("a",))


def test_clusters_shape_range_and_seed(graph):
    c = node_clusters(graph, 3, seed=0)
    assert c.shape == (graph.num_nodes,) and c.dtype == np.int32
    assert set(c.tolist()) == {0, 1, 2}
    np.testing.assert_array_equal(c, node_clusters(graph, 3, seed=0))
    assert cluster_sizes(c, 3).sum() == graph.num_nodes
    assert cluster_sizes(c, 3).min() >= graph.num_nodes // 3 - 5  # METIS balances parts


def test_metis_cuts_few_edges(graph):
    # the clusters follow the graph: far fewer cut edges than a random assignment
    c = node_clusters(graph, 3, seed=0)
    rand = np.random.default_rng(0).integers(0, 3, graph.num_nodes)
    cut = boundary_connectivity(graph.edge_index, c).sum()
    assert cut < 0.6 * boundary_connectivity(graph.edge_index, rand).sum()


def test_one_cluster_is_zeros(graph):
    np.testing.assert_array_equal(node_clusters(graph, 1), np.zeros(graph.num_nodes))


@pytest.mark.parametrize("k, match", [(0, "at least 1"), (-2, "at least 1"),
                                      (1000, "exceeds the 110 nodes"), (2.5, "integer"),
                                      (True, "integer"), ("3", "integer")])
def test_bad_cluster_counts_name_the_key(graph, k, match):
    with pytest.raises(ConfigError, match=rf"nodecls\.clusters\.k\.x = .*{match}"):
        node_clusters(graph, k, key="nodecls.clusters.k.x")


def test_k_equal_to_node_count_is_allowed():
    g = toy_graph()
    c = node_clusters(g, g.num_nodes, seed=0)
    assert c.shape == (10,) and c.max() < 10


def test_isolated_nodes_and_components_get_clusters():
    g = toy_graph()
    c = node_clusters(g, 2, seed=0)
    assert c.shape == (10,) and set(c.tolist()) <= {0, 1}
    conn = boundary_connectivity(g.edge_index, c)
    assert conn[8] == 0 and conn[9] == 0  # isolated: no neighbour anywhere


def test_intra_cluster_edges_against_a_loop(graph):
    c = node_clusters(graph, 3, seed=1)
    ref = [(u, v) for u, v in graph.edge_index.T.tolist() if c[u] == c[v]]
    got = intra_cluster_edges(graph.edge_index, c)
    assert got.shape[0] == 2
    assert [tuple(e) for e in got.T.tolist()] == ref


def test_cluster_subgraph_holds_exactly_the_intra_cluster_edges(graph):
    c = node_clusters(graph, 3, seed=1)
    edges = {tuple(e) for e in graph.edge_index.T.tolist()}
    for k in range(3):
        nodes, ei = cluster_subgraph(graph, c, k)
        np.testing.assert_array_equal(nodes, np.flatnonzero(c == k))
        got = {(int(nodes[a]), int(nodes[b])) for a, b in ei.T.tolist()}
        ref = {(u, v) for u, v in edges if c[u] == k and c[v] == k}
        assert got == ref
        assert ei.shape[1] == len(ref)  # no duplicates
        if ei.size:
            assert ei.min() >= 0 and ei.max() < nodes.shape[0]


def test_boundary_connectivity_against_a_loop(graph):
    c = node_clusters(graph, 4, seed=2)
    adj = graph.adjacency().tolil().rows
    ref = np.array([sum(1 for u in adj[v] if c[u] != c[v]) for v in range(graph.num_nodes)])
    np.testing.assert_array_equal(boundary_connectivity(graph.edge_index, c), ref)


def test_boundary_connectivity_by_hand():
    g = toy_graph()
    c = np.array([0, 0, 0, 1, 1, 1, 0, 1, 0, 1])
    # node 2 and node 3 share the bridge; 6-7 cross
    np.testing.assert_array_equal(boundary_connectivity(g.edge_index, c),
                                  [0, 0, 1, 1, 0, 0, 1, 1, 0, 0])


def test_check_clusters_errors():
    with pytest.raises(ValueError, match="shape"):
        check_clusters(np.zeros(3, np.int32), 4)
    with pytest.raises(ValueError, match="negative"):
        check_clusters(np.array([0, -1]), 2)
    with pytest.raises(ValueError, match="outside"):
        check_clusters(np.array([0, 3]), 2, 3)


def test_file_round_trip_and_errors(graph, tmp_path):
    c = node_clusters(graph, 3, seed=0)
    path = tmp_path / "k3.parquet"
    write_clusters(c, path, k=3, seed=0)
    back = read_clusters(path, num_nodes=graph.num_nodes, k=3)
    assert back.dtype == np.int32
    np.testing.assert_array_equal(back, c)
    with pytest.raises(InputError, match="clusters of 110 nodes; the graph has 5"):
        read_clusters(path, num_nodes=5)
    with pytest.raises(InputError, match="holds 3 clusters; expected 4"):
        read_clusters(path, k=4)
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputError, match="bad.parquet: not a clusters table"):
        read_clusters(bad)
