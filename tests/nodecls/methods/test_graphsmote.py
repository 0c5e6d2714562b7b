"""Tests of imbgraph.nodecls.methods.graphsmote: edge generator shapes, candidate edges, the
exact and sampled edge losses, thresholding (T) vs soft edges (O), synthetic nodes in the loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import build_batch
from imbgraph.nodecls.methods.graphsmote import (
    EdgeGenerator,
    GraphSMOTE,
    candidate_edges,
    edge_loss,
    undirected_keys,
)
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.smote import SmoteDraw


def test_generator_shapes_and_symmetry():
    torch.manual_seed(0)
    gen = EdgeGenerator(8)
    h = torch.randn(5, 8)
    z = gen.project(h)
    assert z.shape == (5, 8)
    s = gen.score(z[:3], z[2:])
    assert s.shape == (3,) and ((s > 0) & (s < 1)).all()
    d = gen.dense(h)
    assert d.shape == (5, 5)
    torch.testing.assert_close(d, d.T)
    torch.testing.assert_close(d[0, 2], gen.score(z[0], z[2]))


def test_candidate_edges_union_of_parents_neighbourhoods():
    ei = torch.tensor([[0, 1, 0, 2, 3, 4], [1, 0, 2, 0, 4, 3]])
    adj = Adjacency.from_edge_index(ei, 5)
    draw = SmoteDraw(base=torch.tensor([0, 3]), partner=torch.tensor([1, 0]),
                     delta=torch.zeros(2, 1), label=torch.tensor([0, 0]))
    j, u = candidate_edges(adj, draw, 5)
    # synthetic 0: N(0) | N(1) = {1, 2} | {0}; synthetic 1: N(3) | N(0) = {4} | {1, 2}
    assert list(zip(j.tolist(), u.tolist())) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 4)]


def ring(n):
    src = torch.arange(n)
    dst = (src + 1) % n
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])


@pytest.mark.parametrize("weighting", ["full", "balanced"])
def test_dense_edge_loss_hand_computed(weighting):
    torch.manual_seed(0)
    gen = EdgeGenerator(4)
    h = torch.randn(6, 4, dtype=torch.float64)
    gen.double()
    ei = ring(6)
    s = gen.dense(h).detach().numpy()
    a = np.zeros((6, 6))
    a[ei[0], ei[1]] = 1
    w_neg = 1.0 if weighting == "full" else 12 / (30 - 12)  # E / (n(n-1) - E)
    expected = sum((1.0 if a[i, j] else w_neg) * (s[i, j] - a[i, j]) ** 2
                   for i in range(6) for j in range(6) if i != j)
    got = float(edge_loss(gen, h, ei, negative_weight=weighting).detach())
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("weighting", ["full", "balanced"])
def test_sampled_edge_loss_is_unbiased(weighting):
    torch.manual_seed(0)
    n = 40
    gen = EdgeGenerator(4).double()
    h = torch.randn(n, 4, dtype=torch.float64)
    ei = ring(n)
    exact = float(edge_loss(gen, h, ei, negative_weight=weighting, dense_below=n).detach())
    keys = undirected_keys(ei, n)
    est = np.mean([float(edge_loss(gen, h, ei, negative_weight=weighting, dense_below=0,
                                   neg_ratio=20, edge_keys=keys).detach())
                   for _ in range(30)])
    assert est == pytest.approx(exact, rel=0.02)
    # edges sampled too (max_pairs below the 40 edges): still unbiased
    est = np.mean([float(edge_loss(gen, h, ei, negative_weight=weighting, dense_below=0,
                                   neg_ratio=20, max_pairs=10, edge_keys=keys).detach())
                   for _ in range(200)])
    assert est == pytest.approx(exact, rel=0.03)
    with pytest.raises(ValueError, match="negative_weight = 'x'"):
        edge_loss(gen, h, ei, negative_weight="x")


def test_threshold_and_soft_edges(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    torch.manual_seed(0)
    gnn = GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16)
    for thr, expect in ((0.0, "all"), (1.0, "none")):
        model = GraphSMOTE(gnn, edges="threshold", threshold=thr)
        model.generator.load_state_dict(GraphSMOTE(gnn).generator.state_dict())
        h = gnn.encode(batch.x, batch.adj)
        torch.manual_seed(1)
        _, adj, draw = model.augment(h, batch)
        torch.manual_seed(1)
        _, soft_adj, _ = GraphSMOTE(gnn, edges="soft").augment(h, batch)
        if expect == "all":
            assert adj.num_extra == soft_adj.num_extra > 0
            assert torch.equal(adj.extra_weight, torch.ones_like(adj.extra_weight))
        else:
            assert adj.num_extra == 0
    assert len(draw) == int(batch.new_per_class.sum()) > 0
    assert soft_adj.extra_weight.requires_grad


def test_soft_edges_carry_classification_gradient_to_the_generator(tiny_graph, tiny_split,
                                                                   make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    grads = {}
    for edges in ("soft", "threshold"):
        torch.manual_seed(0)
        gnn = GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16)
        model = GraphSMOTE(gnn, edges=edges, threshold=0.0, edge_weight=0.0)
        model.train()
        model.loss(batch).backward()
        g = model.generator.weight.grad
        grads[edges] = 0.0 if g is None else float(g.abs().sum())
    assert grads["soft"] > 0.0
    assert grads["threshold"] == 0.0  # T: the generator learns from the edge loss only


def test_synthetic_nodes_are_in_the_loss_of_both_variants(tiny_graph, tiny_split,
                                                           make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    seen = []

    def criterion(logits, target, weight):
        seen.append(target.shape[0])
        return torch.nn.functional.cross_entropy(logits, target)

    for edges in ("threshold", "soft"):
        torch.manual_seed(0)
        gnn = GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16)
        GraphSMOTE(gnn, criterion, edges=edges).loss(batch)
    expected = tiny_split.train.shape[0] + int(batch.new_per_class.sum())
    assert seen == [expected, expected]
