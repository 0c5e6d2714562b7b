"""Tests of imbgraph.nodecls.models: the layers equal PyG's SAGEConv / GCNConv, weighted extra
edges behave like real ones, gradients are right, and the GNN's parts compose."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GCNConv, SAGEConv

from imbgraph.nodecls.models import GNN, Adjacency, GCNLayer, SAGELayer, build_model, pair_dot
from imbgraph.nodecls.smote import SmoteDraw, interpolate

EI = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 0], [1, 0, 2, 1, 3, 2, 0, 4]])  # node 5 isolated


@pytest.mark.parametrize("width", [3, 40])  # narrow and project-first paths
def test_sage_layer_equals_pyg(width):
    torch.manual_seed(0)
    x = torch.randn(6, width, dtype=torch.float64)
    layer = SAGELayer(width, 4).double()
    out = layer(x, Adjacency.from_edge_index(EI, 6))
    pyg = SAGEConv(width, 4, aggr="mean").double()
    pyg.load_state_dict(layer.conv.state_dict())  # same parameter names and shapes
    torch.testing.assert_close(out, pyg(x, EI))


def test_gcn_layer_equals_pyg():
    torch.manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64)
    layer = GCNLayer(5, 3).double()
    with torch.no_grad():
        layer.conv.bias.normal_()  # PyG starts it at zero: make it count
    pyg = GCNConv(5, 3).double()
    pyg.load_state_dict(layer.conv.state_dict())
    torch.testing.assert_close(layer(x, Adjacency.from_edge_index(EI, 6)), pyg(x, EI))


@pytest.mark.parametrize("conv, in_channels, out_channels", [
    (SAGEConv, 7, 5), (GCNConv, 7, 5), (SAGEConv, 64, 16)])
def test_initialisation_follows_pyg(conv, in_channels, out_channels):
    """The same seed gives PyG's parameters (to float rounding of the bounds) and leaves
    torch's random stream where PyG leaves it."""
    layer_cls = SAGELayer if conv is SAGEConv else GCNLayer
    torch.manual_seed(3)
    ours = layer_cls(in_channels, out_channels).conv.state_dict()
    after_ours = torch.rand(1)
    torch.manual_seed(3)
    theirs = conv(in_channels, out_channels).state_dict()
    after_theirs = torch.rand(1)
    assert ours.keys() == theirs.keys()
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=1e-6, atol=1e-7)
    assert after_ours.item() == after_theirs.item()


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
    # a pair listed twice: two edges, each with its own weight and gradient
    w4 = torch.rand(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: base.augment(
        8, torch.tensor([6, 7, 7, 7]), torch.tensor([0, 1, 6, 1]), w).mean(x), (x, w4))


def test_constant_extra_edges_csr_path_matches_edge_list_path():
    torch.manual_seed(0)
    base = Adjacency.from_edge_index(EI, 6)
    src, dst = torch.tensor([6, 7, 7]), torch.tensor([0, 1, 6])
    w = torch.rand(3, dtype=torch.float64)
    x = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    const = base.augment(8, src, dst, w)  # weights without grad: CSR path
    soft = base.augment(8, src, dst, w.clone().requires_grad_(True))  # edge-list path
    for op in ("mean", "gcn"):
        a, b = getattr(const, op)(x), getattr(soft, op)(x)
        torch.testing.assert_close(a, b)
        ga, = torch.autograd.grad(a.sum(), x)
        gb, = torch.autograd.grad(b.sum(), x)
        torch.testing.assert_close(ga, gb)
    assert torch.autograd.gradcheck(lambda x: const.mean(x), (x,))
    torch.testing.assert_close(const.mean(x.detach()), soft.mean(x.detach()))


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


@pytest.mark.parametrize("density", [0.02, 0.5])  # sparse (CSR) and dense wide inputs
@pytest.mark.parametrize("layer_cls", [SAGELayer, GCNLayer])
def test_wide_input_cache_gives_the_plain_products_and_gradients(density, layer_cls):
    """The first layer's wide product: CSR for a sparse input, reused from the validation
    pass by the next training step; values and gradients as the plain dense computation,
    through weight updates (the cache follows the weights' versions)."""
    torch.manual_seed(0)
    x = (torch.rand(30, 50, dtype=torch.float64) < density).double()
    x[0, 0] = 1.0
    adj = Adjacency.from_edge_index(torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]]), 30)
    layer = layer_cls(50, 4).double()
    plain = layer_cls(50, 4).double()
    plain.load_state_dict(layer.state_dict())
    plain._wide = lambda x, ws: x @ torch.cat(ws).t()  # the uncached computation
    opt = torch.optim.SGD(layer.parameters(), lr=0.5)
    opt_plain = torch.optim.SGD(plain.parameters(), lr=0.5)
    for _ in range(3):  # train step, then a validation pass: as fit() does
        for model, o in ((layer, opt), (plain, opt_plain)):
            o.zero_grad()
            (model(x, adj) ** 2).sum().backward()
        for (name, p), q in zip(layer.named_parameters(), plain.parameters()):
            torch.testing.assert_close(p.grad, q.grad, msg=name)
        opt.step()
        opt_plain.step()
        with torch.no_grad():
            torch.testing.assert_close(layer(x, adj), plain(x, adj))
    assert (layer._wide._inputs[id(x)].csr is not None) == (density < 0.05)
    # a new input (synthetic rows appended) is not served from the cache
    x2 = torch.cat([x, x[:3] * 2])
    adj2 = Adjacency.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 33)
    with torch.no_grad():
        torch.testing.assert_close(layer(x2, adj2), plain(x2, adj2))


def test_wide_input_cache_keeps_each_input_and_forgets_dropped_ones():
    """ClusterGCN alternates per-cluster slices and the whole graph: each keeps its own
    density test and product; a tensor that is gone leaves the cache."""
    torch.manual_seed(0)
    layer = SAGELayer(50, 4)
    xs = [(torch.rand(n, 50) < 0.02).float() for n in (10, 20)]
    adjs = [Adjacency.from_edge_index(torch.zeros(2, 0, dtype=torch.long), n) for n in (10, 20)]
    with torch.no_grad():
        for x, adj in zip(xs, adjs):
            layer(x, adj)
        states = {id(x): layer._wide._inputs[id(x)] for x in xs}
        for x, adj in zip(xs, adjs):  # served from the same states, products reused
            layer(x, adj)
            assert layer._wide._inputs[id(x)] is states[id(x)]
            assert states[id(x)].known is not None and states[id(x)].csr is not None
    key = id(xs[0])
    del xs[0], states
    assert key not in layer._wide._inputs and len(layer._wide._inputs) == 1


@pytest.mark.parametrize("conv", ["sage", "gcn"])
@pytest.mark.parametrize("width", [3, 40])  # narrow and project-first first layers
def test_synthetic_rows_equal_appended_features(conv, width):
    """gnn(x, adj, synthetic=draw) interpolates after the first linear map: the same logits
    and gradients as appending the interpolated feature rows to x."""
    torch.manual_seed(0)
    x = torch.randn(6, width, dtype=torch.float64)
    draw = SmoteDraw(base=torch.tensor([0, 2, 2]), partner=torch.tensor([1, 3, 2]),
                     delta=torch.tensor([[0.25], [0.5], [0.0]], dtype=torch.float64),
                     label=torch.tensor([0, 1, 1]))
    # the synthetic nodes 6, 7, 8 copy edges of nodes 0, 2, 2
    adj = Adjacency.from_edge_index(EI, 6).augment(
        9, torch.tensor([1, 4, 1, 3, 1, 3]), torch.tensor([6, 6, 7, 7, 8, 8]))
    models = [GNN(width, 3, conv=conv, hidden=8, dropout=0.0).double() for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    got = models[0](x, adj, synthetic=draw)
    want = models[1](torch.cat([x, interpolate(x, draw)]), adj)
    assert got.shape == (9, 3)
    torch.testing.assert_close(got, want)
    got.square().sum().backward()
    want.square().sum().backward()
    for (name, p), q in zip(models[0].named_parameters(), models[1].parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


def test_pair_dot_equals_gathered_rows():
    torch.manual_seed(0)
    a = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    rows, cols = torch.tensor([0, 0, 2, 3, 3, 3]), torch.tensor([1, 6, 0, 0, 2, 5])
    torch.testing.assert_close(pair_dot(a, b, rows, cols), (a[rows] * b[cols]).sum(1))
    assert torch.autograd.gradcheck(lambda a, b: pair_dot(a, b, rows, cols), (a, b))
    assert pair_dot(a, b, rows[:0], cols[:0]).shape == (0,)
