"""Tests of imbgraph.nodecls.models: the layers equal PyG's SAGEConv / GCNConv, weighted extra
edges behave like real ones, gradients are right, and the GNN's parts compose."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GCNConv, SAGEConv

from imbgraph.nodecls.models import GNN, Adjacency, GCNLayer, SAGELayer, build_model

EI = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 0], [1, 0, 2, 1, 3, 2, 0, 4]])  # node 5 isolated


@pytest.mark.parametrize("width", [3, 40])  # narrow and project-first paths
def test_sage_layer_equals_pyg(width):
    torch.manual_seed(0)
    x = torch.randn(6, width, dtype=torch.float64)
    layer = SAGELayer(width, 4).double()
    out = layer(x, Adjacency.from_edge_index(EI, 6))
    torch.testing.assert_close(out, layer.conv(x, EI))
    assert isinstance(layer.conv, SAGEConv)


def test_gcn_layer_equals_pyg():
    torch.manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64)
    layer = GCNLayer(5, 3).double()
    torch.testing.assert_close(layer(x, Adjacency.from_edge_index(EI, 6)), layer.conv(x, EI))
    assert isinstance(layer.conv, GCNConv)


def test_extra_edges_of_weight_one_equal_real_edges():
    torch.manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64)
    real = Adjacency.from_edge_index(EI, 6)
    # drop the edge 4 <-> 0 from the real part, add it back as an extra edge
    part = Adjacency.from_edge_index(EI[:, :6], 6).augment(6, torch.tensor([4]),
                                                           torch.tensor([0]))
    torch.testing.assert_close(part.mean(x), real.mean(x))
    torch.testing.assert_close(part.gcn(x), real.gcn(x))


def test_weighted_mean_hand_computed():
    x = torch.tensor([[1.0], [3.0], [10.0]])
    adj = Adjacency.from_edge_index(torch.tensor([[1], [0]]), 2).augment(
        3, torch.tensor([2]), torch.tensor([0]), torch.tensor([0.5]))
    out = adj.mean(x)
    # node 0: (1 * 3 + 0.5 * 10) / 1.5; node 1: nothing in (real edge is 1 -> 0 only)
    # node 2: receives from 0 with weight 0.5 (both directions)
    assert out[:, 0].tolist() == pytest.approx([8 / 1.5, 0.0, 1.0])
    assert adj.degree().tolist() == pytest.approx([1.5, 0.0, 0.5])


def test_gradients():
    torch.manual_seed(0)
    x = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    w = torch.rand(3, dtype=torch.float64, requires_grad=True)
    base = Adjacency.from_edge_index(EI, 6)
    adj = base.augment(8, torch.tensor([6, 7, 7]), torch.tensor([0, 1, 6]), w)
    assert torch.autograd.gradcheck(lambda x, w: base.augment(
        8, torch.tensor([6, 7, 7]), torch.tensor([0, 1, 6]), w).mean(x), (x, w))
    assert torch.autograd.gradcheck(lambda x, w: base.augment(
        8, torch.tensor([6, 7, 7]), torch.tensor([0, 1, 6]), w).gcn(x), (x, w))
    assert adj.num_nodes == 8 and adj.num_extra == 6


def test_neighbors():
    adj = Adjacency.from_edge_index(EI, 6)
    owner, nbr = adj.neighbors(torch.tensor([2, 5, 0]))
    assert owner.tolist() == [0, 0, 2, 2] and nbr.tolist() == [1, 3, 1, 4]


def test_gnn_parts_compose_and_build():
    torch.manual_seed(0)
    model = build_model({"name": "gcn", "hidden": 8, "dropout": 0.5}, 5, 3)
    assert isinstance(model, GNN) and model.conv_name == "gcn"
    model.eval()
    x = torch.randn(6, 5)
    adj = Adjacency.from_edge_index(EI, 6)
    out = model(x, adj)
    assert out.shape == (6, 3)
    torch.testing.assert_close(out, model.head(model.embed(model.encode(x, adj), adj)))
    with pytest.raises(ValueError, match="no node features"):
        GNN(0, 3)
    with pytest.raises(ValueError, match="model name = 'gat'"):
        build_model({"name": "gat"}, 5, 3)
