"""Tests of imbgraph.linkage.models: MeanAggConv against a dense formula, LGCN shapes."""

from __future__ import annotations

import pytest
import torch

from imbgraph.linkage.models import LGCN, MeanAggConv, get_model

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")


def row_normalised(dense_pattern: torch.Tensor) -> torch.Tensor:
    deg = dense_pattern.sum(1, keepdim=True)
    return torch.where(deg > 0, dense_pattern / deg.clamp(min=1), torch.zeros_like(dense_pattern))


def tiny_graph():
    # 5 nodes: path 0-1-2, edge 3-0, node 4 isolated
    pattern = torch.zeros(5, 5)
    for a, b in [(0, 1), (1, 2), (3, 0)]:
        pattern[a, b] = pattern[b, a] = 1
    return row_normalised(pattern)


def test_mean_agg_conv_equals_dense_formula():
    torch.manual_seed(0)
    conv = MeanAggConv(3, 4)
    with torch.no_grad():
        conv.lin.bias.copy_(torch.tensor([0.1, -0.2, 0.3, -5.0]))
    x = torch.randn(5, 3)
    a = tiny_graph()
    out = conv(x, a.to_sparse_csr())
    w, bias = conv.lin.weight, conv.lin.bias
    ref = torch.relu(torch.cat([x, a @ x], 1) @ w.T + bias)
    torch.testing.assert_close(out, ref)
    assert out.shape == (5, 4)
    assert (out[:, 3] == 0).all()  # a large negative bias is clipped by the ReLU
    # also with a COO adjacency
    torch.testing.assert_close(conv(x, a.to_sparse()), ref)


def test_isolated_node_aggregates_zeros():
    torch.manual_seed(1)
    conv = MeanAggConv(3, 2)
    x = torch.randn(5, 3)
    out = conv(x, tiny_graph().to_sparse_csr())
    w, bias = conv.lin.weight, conv.lin.bias
    ref4 = torch.relu(torch.cat([x[4], torch.zeros(3)]) @ w.T + bias)
    torch.testing.assert_close(out[4], ref4)
    # hand check of the mean for node 0: neighbours 1 and 3
    agg = torch.sparse.mm(tiny_graph().to_sparse_csr(), x)
    torch.testing.assert_close(agg[0], (x[1] + x[3]) / 2)
    torch.testing.assert_close(agg[4], torch.zeros(3))


def test_mean_agg_conv_init_and_repr():
    conv = MeanAggConv(6, 3)
    assert conv.lin.weight.shape == (3, 12)
    assert torch.all(conv.lin.bias == 0)
    assert repr(conv) == "MeanAggConv(6, 3)"


def test_lgcn_output_shape_and_hop1_rows():
    torch.manual_seed(2)
    model = LGCN(3, hidden=(8, 6), head=5)
    assert len(model.convs) == 2
    assert [c.in_channels for c in model.convs] == [3, 8]
    assert [c.out_channels for c in model.convs] == [8, 6]
    assert model.classifier[0].in_features == 6 and model.classifier[0].out_features == 5
    x = torch.randn(5, 3)
    adj = tiny_graph().to_sparse_csr()
    hop1 = torch.tensor([1, 3, 3, 0])
    out = model(x, adj, hop1)
    assert out.shape == (4, 2)
    torch.testing.assert_close(out[1], out[2])  # the same node scores the same
    # it is the classifier applied to the convolved rows, in hop1 order
    model.eval()
    with torch.no_grad():
        h = model.bn(x)
        for conv in model.convs:
            h = conv(h, adj)
        torch.testing.assert_close(model(x, adj, hop1), model.classifier(h[hop1]))


def test_lgcn_default_widths_and_repr():
    model = LGCN(16)
    assert model.hidden == (512, 512, 256, 256)
    assert repr(model) == "LGCN(16, hidden=[512, 512, 256, 256])"
    assert repr(LGCN(4, hidden=(3,), head=2)) == "LGCN(4, hidden=[3])"
    assert not model.bn.affine


def test_get_model():
    model = get_model("lgcn", 7, hidden=(4, 4), head=3)
    assert isinstance(model, LGCN) and model.in_channels == 7 and model.hidden == (4, 4)
    with pytest.raises(KeyError, match=r"model = 'gat'; expected one of \['lgcn', 'rgcn'\]"):
        get_model("gat", 7)


# ---------------------------------------------------------------- RGCN


def _sym_graph(n=6):
    from imbgraph.linkage.models import RGCN  # noqa: F401  (import check)

    src = torch.tensor([0, 1, 1, 2, 3, 4])
    dst = torch.tensor([1, 0, 2, 1, 4, 3])
    deg = torch.bincount(src, minlength=n).float()
    val = 1 / torch.sqrt(deg[src] * deg[dst])
    return torch.sparse_coo_tensor(torch.stack([src, dst]), val, (n, n)).to_sparse_csr()


def test_rgcn16_shapes_and_repr():
    from imbgraph.linkage.models import RGCN, get_model

    torch.manual_seed(0)
    model = get_model("rgcn", 8, hidden=8, blocks=4, layers_per_block=4, head=4)
    assert isinstance(model, RGCN) and model.normalization == "sym"
    assert repr(model) == "RGCN-16(8, hidden=8)"
    assert sum(isinstance(m, MeanAggConv) for m in model.modules()) == 16
    out = model(torch.randn(6, 8), _sym_graph(), torch.tensor([1, 2, 2]))
    assert out.shape == (3, 2)
    # a width change adds an input projection
    assert isinstance(RGCN(8, hidden=4, blocks=1).project, torch.nn.Linear)


def test_rgcn_zero_residual_weights_give_the_input_back():
    from imbgraph.linkage.models import RGCN, ResidualBlock

    torch.manual_seed(0)
    block = ResidualBlock(5, layers=4)
    for p in block.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(6, 5)
    assert torch.equal(block(x, _sym_graph()), x)
    model = RGCN(5, hidden=5, blocks=4, head=3)
    for b in model.blocks:
        for p in b.parameters():
            torch.nn.init.zeros_(p)
    model.eval()
    x = torch.randn(6, 5)
    assert torch.allclose(model.embed(x, _sym_graph()), model.bn(x))
    # with non-zero weights the residual mapping contributes
    torch.manual_seed(1)
    assert not torch.allclose(RGCN(5, hidden=5).eval().embed(x, _sym_graph()), model.bn(x))
