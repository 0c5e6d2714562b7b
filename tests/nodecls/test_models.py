"""Tests of imbgraph.nodecls.models: the layers equal PyG's SAGEConv / GCNConv (outputs,
initialisation, gradients), the wide-input cache changes no number, synthetic rows equal
appended features, the GNN's parts compose, and every module of the family follows PyG's
conventions (``reset_parameters()`` and a ``Shapes:`` block)."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GATConv, GCNConv, SAGEConv

from imbgraph.errors import ConfigError
from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import check_attention
from imbgraph.nodecls.models import (
    GNN,
    GATLayer,
    GCNLayer,
    SAGELayer,
    SAGEOfficialLayer,
    append_rows,
    attention_size,
    build_model,
)
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
    with pytest.raises(ValueError, match="model name = 'gin'"):
        build_model({"name": "gin"}, 5, 3)


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


@pytest.mark.parametrize("conv", ["sage", "gcn", "gat", "sage_official"])
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


def test_gat_layer_is_pygs_gatconv_on_the_adjacency_edges():
    torch.manual_seed(0)
    x = torch.randn(6, 5)
    layer = GATLayer(5, 8, heads=4)  # 4 heads of 2, concatenated
    pyg = GATConv(5, 2, heads=4)
    pyg.load_state_dict(layer.conv.state_dict())
    adj = Adjacency.from_edge_index(EI, 6)
    torch.testing.assert_close(layer(x, adj), pyg(x, EI))
    # extra edges count when their weight is positive, unweighted (GATConv has no weight)
    aug = adj.augment(7, torch.tensor([0, 1]), torch.tensor([6, 6]), torch.tensor([0.3, 0.0]))
    xa = torch.cat([x, torch.randn(1, 5)])
    want_ei = torch.cat([EI, torch.tensor([[0, 6], [6, 0]])], dim=1)
    torch.testing.assert_close(layer(xa, aug), pyg(xa, want_ei))
    gnn = build_model({"name": "gat", "hidden": 8, "heads": 2, "dropout": 0.5}, 5, 3)
    assert [m.conv.heads for m in [*gnn.encoder, *gnn.classifier]] == [2, 2]
    with pytest.raises(ValueError, match="not a multiple of heads = 3"):
        GATLayer(5, 8, heads=3)


def test_gat_attention_limit_names_the_entry_and_the_limit():
    spec = {"name": "gat", "heads": 4, "max_attention": 100}
    assert attention_size(spec, 6, 8) == (8 + 6) * 4
    assert attention_size({"name": "gcn"}, 6, 8) == 0
    check_attention({**spec, "max_attention": 56}, 6, 8, key="k")  # at the limit: fine
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.G\.model \(GAT, 4 heads\).*"
                                          r"= 56 attention .* max_attention = 55"):
        check_attention({**spec, "max_attention": 55}, 6, 8, key="nodecls.methods.G")


def test_append_rows_reuses_the_wide_product():
    # appended rows (BAT's virtual nodes) on a sparse wide input: the layer's product of x is
    # the cached one; logits and gradients equal those of the plain concatenation
    torch.manual_seed(0)
    x = (torch.rand(6, 40) < 0.03).double()
    rows = torch.randn(2, 40, dtype=torch.float64)
    adj = Adjacency.from_edge_index(EI, 6).augment(8, torch.tensor([0, 1]), torch.tensor([6, 7]))
    layers = [GCNLayer(40, 4).double() for _ in range(2)]
    layers[1].load_state_dict(layers[0].state_dict())
    layers[0](x, Adjacency.from_edge_index(EI, 6))  # caches x's product
    got, want = layers[0](append_rows(x, rows), adj), layers[1](torch.cat([x, rows]), adj)
    torch.testing.assert_close(got, want)
    got.square().sum().backward()
    want.square().sum().backward()
    torch.testing.assert_close(layers[0].conv.lin.weight.grad, layers[1].conv.lin.weight.grad)


def _node_modules():
    import importlib
    import inspect
    import pkgutil

    import imbgraph.nodecls as pkg

    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        mod = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, torch.nn.Module) and cls.__module__ == mod.__name__:
                yield cls


def test_every_module_has_reset_parameters_and_shapes():
    found = sorted({c.__qualname__ for c in _node_modules()})
    assert {"GNN", "SAGELayer", "GCNLayer", "GraphSMOTE", "ClusterGNN", "Plain"} <= set(found)
    for cls in _node_modules():
        assert callable(getattr(cls, "reset_parameters", None)), cls.__qualname__
        assert "Shapes:" in (cls.__doc__ or ""), cls.__qualname__


# --- GraphSMOTE's code's SAGE layer ---------------------------------------------------------
@pytest.mark.parametrize("width", [2, 40])  # narrow, and wide (projected first) inputs
def test_sage_official_layer_by_hand(width):
    """Path 0 - 1 - 2: out_v = W [x_v | sum_{u in N(v)} x_u / (deg_v + 1)], no bias."""
    torch.manual_seed(0)
    x = torch.randn(3, width, dtype=torch.float64)
    layer = SAGEOfficialLayer(width, 3).double()
    assert [n for n, _ in layer.named_parameters()] == ["conv.proj.weight"]  # no bias
    w = layer.conv.proj.weight.detach()
    assert w.shape == (3, 2 * width)
    adj = Adjacency.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
    neigh = torch.stack([x[1] / 2, (x[0] + x[2]) / 3, x[1] / 2])  # degrees 1, 2, 1
    want = torch.cat([x, neigh], dim=1) @ w.T
    torch.testing.assert_close(layer(x, adj), want)
    # an isolated node: its own term only (0 / (0 + 1))
    lone = Adjacency.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 3)
    torch.testing.assert_close(layer(x, lone)[2], x[2] @ w[:, :width].T)


def test_sage_official_initialisation_is_standard_normal():
    """nn.init.normal_: mean 0, std 1 whatever the fan-in (PyG's would be ~1/sqrt(fan_in));
    the GNN's head is N(0, 0.05^2) as the code's Sage_Classifier.mlp."""
    torch.manual_seed(0)
    w = SAGEOfficialLayer(500, 64).conv.proj.weight.detach()  # 64,000 draws
    assert abs(float(w.mean())) < 0.02 and abs(float(w.std()) - 1.0) < 0.02
    gnn = GNN(500, 7, conv="sage_official", hidden=64)
    assert abs(float(gnn.lin.weight.std()) - 0.05) < 0.01
    gnn.lin.weight.data.zero_()
    gnn.reset_parameters()
    assert abs(float(gnn.lin.weight.std()) - 0.05) < 0.01
    assert isinstance(build_model({"name": "sage_official"}, 5, 2).encoder[0],
                      SAGEOfficialLayer)


def test_gat_wide_input_is_pygs_gatconv_with_the_cached_product():
    # a wide, sparse input (bag of words: 2% non-zero) goes through the wide-input cache
    # (CSR product, reused by the next call with the same weights); the output and the
    # gradients are PyG's GATConv's on the same parameters
    torch.manual_seed(0)
    x = (torch.rand(6, 300) < 0.02).float()
    layer = GATLayer(300, 8, heads=4)
    pyg = GATConv(300, 2, heads=4)
    pyg.load_state_dict(layer.conv.state_dict())
    adj = Adjacency.from_edge_index(EI, 6)
    with torch.no_grad():
        torch.testing.assert_close(layer(x, adj), pyg(x, EI))
    assert layer._wide._inputs[id(x)].csr is not None
    got, want = layer(x, adj), pyg(x, EI)  # the product of the pass above is reused
    torch.testing.assert_close(got, want)
    got.square().sum().backward()
    want.square().sum().backward()
    for (name, p), q in zip(layer.conv.named_parameters(), pyg.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=name)
    assert layer.conv.lin.given is None  # nothing left behind
