"""Tests of imbgraph.nodecls.methods.ecgn.cluster_gcn: every node is in exactly one batch per
epoch, a batch holds exactly the edges its clusters induce (checked with a loop), batches
without training nodes are skipped, and the order is seeded; the job: with a single cluster
it equals plain full-batch training, and it runs ceil(k / q) batches per epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.nodecls.data.synthetic import contextual_sbm
from imbgraph.nodecls.job import run_method
from imbgraph.nodecls.methods.ecgn.cluster_gcn import ClusterBatches, cluster_gcn_loader
from imbgraph.nodecls.methods.ecgn.clusters import node_clusters

pytest.importorskip("pymetis")


@pytest.fixture(scope="module")
def graph():
    return contextual_sbm([40, 40, 30], avg_degree=5, homophily=0.8, feature_dim=4, seed=7)


def induced(edge_index, nodes):
    inside = set(nodes.tolist())
    return {(u, v) for u, v in edge_index.T.tolist() if u in inside and v in inside}


@pytest.mark.parametrize("k, q", [(5, 1), (5, 2), (6, 3), (4, 4)])
def test_each_node_once_per_epoch_and_induced_edges(graph, k, q):
    c = node_clusters(graph, k, seed=0)
    batches = ClusterBatches(graph.edge_index, c, k, clusters_per_batch=q)
    for _ in range(3):  # several epochs
        epoch = batches.epoch()
        assert len(epoch) == -(-k // q)
        seen = torch.cat([nodes for nodes, _ in epoch]).sort().values
        assert torch.equal(seen, torch.arange(graph.num_nodes))
        for nodes, ei in epoch:
            got = {(int(nodes[a]), int(nodes[b])) for a, b in ei.T.tolist()}
            assert got == induced(graph.edge_index, nodes.numpy())
            assert ei.shape[1] == len(got)
            assert len(set(c[nodes.numpy()].tolist())) <= q


def test_empty_clusters_give_no_batch(graph):
    c = np.where(node_clusters(graph, 2, seed=0) == 0, 0, 3)  # clusters 1 and 2 empty
    batches = ClusterBatches(graph.edge_index, c, 4)
    epoch = batches.epoch()
    assert len(epoch) == 2
    assert sum(int(nodes.shape[0]) for nodes, _ in epoch) == graph.num_nodes


def test_order_is_seeded(graph):
    c = node_clusters(graph, 5, seed=0)
    b = ClusterBatches(graph.edge_index, c, 5)
    first = [n[0].item() for n, _ in b.epoch(torch.Generator().manual_seed(3))]
    again = [n[0].item() for n, _ in b.epoch(torch.Generator().manual_seed(3))]
    assert first == again


def test_loader_skips_batches_without_training_nodes(graph):
    c = node_clusters(graph, 3, seed=0)
    b = ClusterBatches(graph.edge_index, c, 3)
    x = torch.as_tensor(graph.x)
    y = torch.as_tensor(graph.y)
    train = torch.as_tensor(np.flatnonzero(c == 1)[:5])  # training nodes in cluster 1 only
    batches = cluster_gcn_loader(b, x, y, train, None, graph.num_classes)(0)
    assert len(batches) == 1
    batch = batches[0]
    assert batch.train.shape[0] == 5
    # local training positions point at the global training nodes
    assert torch.equal(batch.y[batch.train].sort().values, y[train].sort().values)
    assert batch.adj.num_nodes == batch.x.shape[0] == int((c == 1).sum())


def test_bad_batch_size():
    with pytest.raises(ValueError, match="clusters_per_batch"):
        ClusterBatches(np.zeros((2, 0), np.int64), np.zeros(3, np.int64), 1,
                       clusters_per_batch=0)


def quick(make_method, balancing: dict, *, dropout: float = 0.1, **train) -> dict:
    m = make_method(balancing, **{"max_epochs": 8, "patience": 4, **train})
    m["model"]["dropout"] = dropout
    return m


def test_cluster_gcn_with_one_cluster_is_full_batch_training(tiny_graph, tiny_split,
                                                             make_method):
    # dropout 0: ClusterGCN's per-epoch shuffle draws from torch's generator, dropout would
    # then see other random numbers than the full-batch run
    m = quick(make_method, {"name": "cluster_gcn"}, dropout=0.0)
    got, summary = run_method(tiny_graph, tiny_split, m, seed=1, device="cpu",
                              cached={"clusters": np.zeros(tiny_graph.num_nodes, dtype=np.int64)})
    assert summary["clusters"] == 1 and summary["batches_per_epoch"] == 1
    want, want_summary = run_method(tiny_graph, tiny_split,
                                    quick(make_method, {"name": "none"}, dropout=0.0),
                                    seed=1, device="cpu")
    assert got["best_epoch"] == want["best_epoch"] and summary["epochs"] == want_summary["epochs"]
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-6), key


def test_cluster_gcn_batches_per_epoch(tiny_graph, tiny_split, make_method):
    clusters = np.arange(tiny_graph.num_nodes) % 5
    m = quick(make_method, {"name": "cluster_gcn", "clusters_per_batch": 2}, max_epochs=2)
    metrics, summary = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu",
                                  cached={"clusters": clusters})
    assert summary["clusters"] == 5 and summary["batches_per_epoch"] == 3  # ceil(5 / 2)
    assert summary["epochs"] == 2 and metrics["n"] == tiny_split.test.shape[0]
    with pytest.raises(ValueError, match="balancing 'cluster_gcn' needs the dataset's METIS"):
        run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
