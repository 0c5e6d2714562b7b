"""Tests of imbgraph.nodecls.methods.ecgn.pretrain: the k stacked cluster networks compute exactly
what k separate networks compute on their cluster subgraphs (a loop over clusters is the
reference), start from one initialisation, train like k independent runs, and handle
clusters without training or validation nodes; the cacheable record and file."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from imbgraph.errors import InputError
from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.data.synthetic import contextual_sbm
from imbgraph.nodecls.methods.ecgn.clusters import cluster_subgraph, node_clusters
from imbgraph.nodecls.methods.ecgn.pretrain import (
    ClusterGNN,
    ClusterPretrain,
    PaddedLayout,
    SparseInput,
    per_cluster_macro_f1,
    pretrain_clusters,
    read_pretrain,
    write_pretrain,
)
from imbgraph.nodecls.models import SPARSE_BELOW, build_model

pytest.importorskip("pymetis")


@pytest.fixture(scope="module")
def graph():
    return contextual_sbm([40, 40, 30], avg_degree=5, homophily=0.8, feature_dim=6,
                          feature_signal=2.0, seed=7)


def tensors(graph, k=3):
    c = node_clusters(graph, k, seed=0).astype(np.int64)
    return (torch.as_tensor(graph.x), torch.as_tensor(graph.edge_index),
            torch.as_tensor(graph.y), torch.as_tensor(c))


def template(conv="sage", d=6, c=3, **kw):
    torch.manual_seed(0)
    return build_model({"name": conv, "hidden": 8, "dropout": 0.0, **kw}, d, c)


def test_layout_pads_cluster_by_cluster(graph):
    x, ei, _, c = tensors(graph)
    lay = PaddedLayout(ei, c, 3)
    assert lay.m == int(torch.bincount(c).max())
    xp = lay.pad(x)
    assert xp.shape == (3, lay.m, 6)
    assert torch.equal(lay.unpad(xp), x)
    assert torch.equal(lay.slot // lay.m, c)  # each node sits in its cluster's block


@pytest.mark.parametrize("conv", ["sage", "gcn"])
def test_stacked_networks_equal_a_loop_over_clusters(graph, conv):
    x, ei, _, c = tensors(graph)
    t = template(conv, classifier_layers=2)
    model = ClusterGNN(t, 3)
    with torch.no_grad():  # give every cluster its own weights
        for p in model.params:
            p.add_(torch.randn_like(p) * 0.3)
    model.eval()
    lay = PaddedLayout(ei, c, 3)
    logits, hidden = model(lay.pad(x), lay.adj)
    logits, hidden = lay.unpad(logits), lay.unpad(hidden)
    cl = c.numpy()
    for k in range(3):  # the reference: one GNN per cluster on its own subgraph
        nodes, sub = cluster_subgraph(graph, cl, k)
        net = copy.deepcopy(t)
        net.load_state_dict({n: p[k] for n, p in model.state().items()})
        net.eval()
        adj = Adjacency.from_edge_index(torch.as_tensor(sub), nodes.shape[0])
        xs = x[torch.as_tensor(nodes)]
        torch.testing.assert_close(logits[nodes], net(xs, adj), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(hidden[nodes], net.embed(net.encode(xs, adj), adj),
                                   rtol=1e-5, atol=1e-5)


def test_one_initialisation_for_every_cluster(graph):
    t = template()
    model = ClusterGNN(t, 4)
    for name, p in zip(model.names, model.params):
        ref = dict(t.named_parameters())[name]
        assert p.shape == (4, *ref.shape)
        for k in range(4):
            assert torch.equal(p[k], ref)


def test_joint_training_equals_training_each_cluster_alone(graph):
    x, ei, y, c = tensors(graph)
    train = torch.arange(0, graph.num_nodes, 3)
    none = torch.zeros(0, dtype=torch.long)  # no validation: every cluster keeps its last epoch
    t = template()
    pre = pretrain_clusters(t, x, ei, y, c, 3, train, none, epochs=6, patience=100, lr=0.01,
                            weight_decay=5e-4)
    assert pre.epochs == 6 and pre.best_epoch.tolist() == [5, 5, 5]
    cl = c.numpy()
    for k in range(3):
        nodes, sub = cluster_subgraph(graph, cl, k)
        net = copy.deepcopy(t)
        opt = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=5e-4)
        adj = Adjacency.from_edge_index(torch.as_tensor(sub), nodes.shape[0])
        xs, ys = x[torch.as_tensor(nodes)], y[torch.as_tensor(nodes)]
        local = torch.as_tensor(np.flatnonzero(np.isin(nodes, train.numpy())))
        for _ in range(6):
            net.train()
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xs, adj)[local], ys[local]).backward()
            opt.step()
        for name, p in net.named_parameters():
            torch.testing.assert_close(pre.state[name][k], p.detach(), rtol=1e-4, atol=1e-5)
        net.eval()
        torch.testing.assert_close(pre.logits[nodes], net(xs, adj).detach(), rtol=1e-4,
                                   atol=1e-4)


def test_untrained_cluster_keeps_the_initialisation_and_early_stopping(graph):
    x, ei, y, c = tensors(graph)
    cl = c.numpy()
    train = torch.as_tensor(np.flatnonzero(cl != 2)[::2])  # cluster 2: no training node
    val = torch.as_tensor(np.flatnonzero(cl == 0)[1::4])   # validation in cluster 0 only
    t = template()
    pre = pretrain_clusters(t, x, ei, y, c, 3, train, val, epochs=300, patience=5, lr=0.05,
                            weight_decay=0.0)
    assert pre.trained.tolist() == [True, True, False]
    for name, p in t.named_parameters():
        assert torch.equal(pre.state[name][2], p)  # shared initialisation, untouched
    assert pre.best_epoch[2] == -1
    assert np.isnan(pre.val_score[1].item()) and np.isnan(pre.val_score[2].item())
    assert 0.0 <= pre.val_score[0].item() <= 1.0
    # cluster 0 stopped early; cluster 1 (no validation node) kept its last epoch
    assert pre.epochs < 300 and pre.best_epoch[1] == pre.epochs - 1
    assert pre.best_epoch[0] <= pre.epochs - 1 - 5
    assert pre.embeddings.shape == (graph.num_nodes, 8) and not pre.embeddings.requires_grad


def test_no_training_node_at_all(graph):
    x, ei, y, c = tensors(graph)
    none = torch.zeros(0, dtype=torch.long)
    pre = pretrain_clusters(template(), x, ei, y, c, 3, none, none, epochs=5, patience=2,
                            lr=0.01, weight_decay=0.0)
    assert pre.epochs == 0 and not pre.trained.any()


def test_per_cluster_macro_f1_equals_sklearn():
    f1_score = pytest.importorskip("sklearn.metrics").f1_score
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(60, 4, generator=gen)
    y = torch.randint(0, 4, (60,), generator=gen)
    cl = torch.randint(0, 3, (60,), generator=gen)
    got = per_cluster_macro_f1(logits, y, cl, 4)
    pred = logits.argmax(1)
    for k in range(3):
        sel = cl == k
        ref = f1_score(y[sel].numpy(), pred[sel].numpy(), average="macro")
        assert got[k].item() == pytest.approx(ref)
    assert np.isnan(got[3].item())  # empty cluster


def test_record_and_file_round_trip(graph, tmp_path):
    x, ei, y, c = tensors(graph)
    pre = pretrain_clusters(template(), x, ei, y, c, 3, torch.arange(0, 110, 2),
                            torch.arange(1, 110, 4), epochs=3, patience=2, lr=0.01,
                            weight_decay=0.0)
    back = ClusterPretrain.from_record(pre.to_record())
    assert torch.equal(back.embeddings, pre.embeddings) and back.epochs == pre.epochs
    path = tmp_path / "pre.pt"
    write_pretrain({0: pre, 3: pre}, path, settings={"k": 3})
    first = path.read_bytes()
    write_pretrain({0: pre, 3: pre}, path, settings={"k": 3})
    assert path.read_bytes() == first  # byte-stable
    loaded = read_pretrain(path)
    assert sorted(loaded) == [0, 3]
    for name in pre.state:
        assert torch.equal(loaded[3].state[name], pre.state[name])
    torch.save({"seeds": {"0": {"embeddings": 1}}}, tmp_path / "bad.pt")
    with pytest.raises(InputError, match="bad.pt: not a cluster pre-training file"):
        read_pretrain(tmp_path / "bad.pt")


@pytest.mark.parametrize("conv", ["sage", "gcn"])
def test_sparse_first_layer_equals_dense(graph, conv):
    x, ei, _, c = tensors(graph)
    x = x * (torch.rand(x.shape, generator=torch.Generator().manual_seed(0)) < 0.2)  # sparse
    lay = PaddedLayout(ei, c, 3)
    model = ClusterGNN(template(conv), 3)
    with torch.no_grad():
        for p in model.params:
            p.add_(torch.randn_like(p) * 0.3)
    model.eval()
    dense, _ = model(lay.pad(x), lay.adj)
    sparse, _ = model(SparseInput(lay.sparse_blocks(x), lay), lay.adj)
    torch.testing.assert_close(lay.unpad(sparse), lay.unpad(dense), rtol=1e-5, atol=1e-5)
    g_dense = torch.autograd.grad(lay.unpad(dense).sum(), list(model.params))
    sparse, _ = model(SparseInput(lay.sparse_blocks(x), lay), lay.adj)
    g_sparse = torch.autograd.grad(lay.unpad(sparse).sum(), list(model.params))
    for a, b in zip(g_dense, g_sparse):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_sparse_features_pretrain_like_dense(graph):
    x, ei, y, c = tensors(graph)
    x = x * (torch.rand(x.shape, generator=torch.Generator().manual_seed(1)) < 0.03)
    assert float((x != 0).float().mean()) < SPARSE_BELOW  # takes the sparse path
    kw = dict(epochs=4, patience=10, lr=0.01, weight_decay=0.0)
    train, none = torch.arange(0, 110, 2), torch.zeros(0, dtype=torch.long)
    a = pretrain_clusters(template(), x, ei, y, c, 3, train, none, **kw)
    import imbgraph.nodecls.methods.ecgn.pretrain as mod

    old = mod.SPARSE_BELOW
    mod.SPARSE_BELOW = -1.0  # force the dense path
    try:
        b = pretrain_clusters(template(), x, ei, y, c, 3, train, none, **kw)
    finally:
        mod.SPARSE_BELOW = old
    torch.testing.assert_close(a.embeddings, b.embeddings, rtol=1e-4, atol=1e-5)
