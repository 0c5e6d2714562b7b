"""Tests of imbgraph.nodecls.methods.graphens: the synthesised ego networks balance the
training classes (every class at the largest count) and take at most the source's degree
of neighbours, all from the source's and target's neighbourhoods; the warm-up copies the
source's; the KL divergence and the saliency mask by hand; the saliency is the loss's
gradient in the input features (narrow and wide inputs); bad settings stop at start-up
naming the key; GraphENS beats chance."""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import pytest
import torch
import yaml

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import prepare, run_method
from imbgraph.nodecls.methods.graphens import (
    GraphENS,
    ego_neighbors,
    neighbor_kl,
    saliency_mask,
)
from imbgraph.nodecls.methods.mixup import sample_pairs
from imbgraph.nodecls.models import GNN
from imbgraph.testing.node_toy import UNDIRECTED, Y, both_directions, make_batch

SCHEMA_PATH = Path(__file__).parents[3] / "workflow" / "schemas" / "nodecls.schema.yaml"
# a 12-node graph: the toy's nine plus a class-1 triangle 9-10-11 hung on node 4; training
# nodes of classes 0, 1, 2: 4, 3 and 1 (node 6)
EDGES = UNDIRECTED + [(9, 10), (10, 11), (9, 11), (4, 9)]
Y12 = Y + [1, 1, 1]
TRAIN12 = [0, 1, 2, 8, 3, 4, 5, 6]
COUNTS12 = torch.tensor([4, 3, 1])


def batch12(width: int = 4, seed: int = 0):
    torch.manual_seed(seed)
    x = torch.randn(12, width)
    b = make_batch(x=x, train=TRAIN12)
    ei = both_directions(EDGES)
    b.adj = Adjacency.from_edge_index(ei, 12)
    b.y, b.edge_index = torch.tensor(Y12), ei
    return b


def histogram(adj: Adjacency) -> torch.Tensor:
    return torch.bincount(adj.deg.long()).float()


def neighbours(adj: Adjacency, v: int) -> set[int]:
    return set(adj.neighbors(torch.tensor([v]))[1].tolist())


def test_ego_networks_balance_classes_and_keep_degrees():
    b = batch12()
    adj = b.adj
    for seed in range(20):
        torch.manual_seed(seed)
        src, dst = sample_pairs(b.y, b.train, COUNTS12)
        # every class is raised to the largest count: 4 - 3 = 1 of class 1, 4 - 1 = 3 of 2
        assert src.shape[0] == 4
        counts = torch.bincount(torch.cat([b.y[b.train], b.y[src]]), minlength=3)
        assert counts.tolist() == [4, 4, 4]
        kl = torch.rand(4, 1) * 3
        j, u = ego_neighbors(adj, src, dst, kl, histogram(adj))
        assert len(set(zip(j.tolist(), u.tolist()))) == j.shape[0]  # no edge twice
        for pos in range(4):
            s, t = int(src[pos]), int(dst[pos])
            got = set(u[j == pos].tolist())
            assert got <= neighbours(adj, s) | neighbours(adj, t)
            assert len(got) <= len(neighbours(adj, s))  # capped at the source's degree


def test_neighbour_draw_follows_the_mixed_distribution():
    # source 6 (one neighbour, 5) and target 0 (neighbours 1 and 3); degree histogram: only
    # degree 1, so one neighbour, drawn from s A_6 + (1 - s) A_0, s = sigmoid(kl)
    adj = batch12().adj
    g = 6000
    src, dst = torch.full((g,), 6), torch.zeros(g, dtype=torch.long)
    kl = torch.full((g, 1), 0.5)
    torch.manual_seed(0)
    j, u = ego_neighbors(adj, src, dst, kl, torch.tensor([0.0, 1.0]))
    assert torch.equal(j, torch.arange(g))
    s = 1 / (1 + math.exp(-0.5))
    share = {v: float((u == v).float().mean()) for v in (5, 1, 3)}
    assert share[5] == pytest.approx(s, abs=0.02)
    assert share[1] == pytest.approx((1 - s) / 2, abs=0.02)


def test_kl_by_hand():
    adj = batch12().adj
    z = torch.randn(12, 3)
    got = neighbor_kl(z, adj, torch.tensor([6]), torch.tensor([0]), 2.0)
    mean6 = (z[6] + z[5]) / 2                 # closed neighbourhood of 6: {6, 5}
    mean0 = (z[0] + z[1] + z[3]) / 3          # of 0: {0, 1, 3}
    p, q = torch.softmax(mean6 / 2, 0), torch.softmax(mean0 / 2, 0)
    want = float((p * (p / q).log()).sum())
    assert float(got) == pytest.approx(max(want, 0.0), rel=1e-5)


def test_saliency_mask_by_hand():
    # d = 10, keep_prob 0.3: K = 3; saliency on features 2, 5, 7 only (the rest 1e-10)
    sal = torch.zeros(2, 10)
    sal[:, [2, 5, 7]] = torch.tensor([1.0, -2.0, 3.0])
    torch.manual_seed(0)
    idx, valid = saliency_mask(sal, torch.tensor([[50.0], [0.0]]), 0.3)
    assert idx.shape == (2, 3)
    assert set(idx[0].tolist()) == {2, 5, 7}
    # kl 50: sigmoid ~ 1, all K = 3 count; kl 0: int(0.5 * 3) = 1 counts
    assert valid.tolist() == [[True, True, True], [True, False, False]]
    assert int(idx[1, 0]) in (2, 5, 7)
    # the first draw follows |saliency|: feature 7 first with probability 3 / 6
    g = 4000
    first = saliency_mask(sal[:1].expand(g, 10), torch.zeros(g, 1), 0.3)[0][:, 0]
    assert float((first == 7).float().mean()) == pytest.approx(0.5, abs=0.03)
    assert float((first == 2).float().mean()) == pytest.approx(1 / 6, abs=0.03)
    # d keep_prob < 1: no mask (the code fails there)
    assert saliency_mask(sal, torch.zeros(2, 1), 0.05) is None


@pytest.mark.parametrize("width", [3, 12])  # narrow (hidden 6 >= d) and wide inputs
def test_saliency_is_the_input_gradient(width):
    b = batch12(width=width)
    torch.manual_seed(1)
    gnn = GNN(width, 3, conv="gcn", hidden=6, dropout=0.0)
    hist = histogram(b.adj)
    model = GraphENS(gnn, torch.nn.functional.cross_entropy, COUNTS12, hist,
                     keep_prob=0.5, warmup=1)
    model.train()
    for step in range(3):  # warm-up, then two synthesis steps (the last with a mask)
        model.zero_grad()
        loss = model.loss(b)
        loss.backward()
        draw, adj = model.last_draw, model.last_adj
        if step == 2:
            assert draw.mask_idx is not None and draw.mask_idx.shape[1] == width // 2
            rows = draw.rows(b.x)
            masked = draw.mask_idx[draw.mask_valid.nonzero(as_tuple=True)]
            r = draw.mask_valid.nonzero(as_tuple=True)[0]
            torch.testing.assert_close(rows[r, masked], b.x[draw.src[r], masked])
        # the explicit computation: new_x = [x; mixed rows], a leaf, as the code
        x_leaf = b.x.clone().requires_grad_()
        logits = gnn(torch.cat([x_leaf, draw.rows(b.x)]), adj)
        rows_ = torch.cat([logits[b.train], logits[12:]])
        target = torch.cat([b.y[b.train], draw.label])
        torch.nn.functional.cross_entropy(rows_, target).backward()
        torch.testing.assert_close(model.saliency(b.train), x_leaf.grad[b.train],
                                   rtol=1e-4, atol=1e-6)


def test_warmup_copies_the_sources_edges():
    b = batch12()
    model = GraphENS(GNN(4, 3, conv="sage", hidden=5, dropout=0.0),
                     torch.nn.functional.cross_entropy, COUNTS12, histogram(b.adj),
                     warmup=2)
    model.train()
    for step in (1, 2):
        model.loss(b)
        draw, adj = model.last_draw, model.last_adj
        assert draw.mask_idx is None
        for pos, s in enumerate(draw.src.tolist()):
            got = adj.extra_src[adj.extra_dst == 12 + pos]
            assert sorted(got.tolist()) == sorted(neighbours(b.adj, s))
    assert model.steps == 2


@pytest.mark.parametrize("bal, message", [
    ({"name": "graphens", "keep_prob": 1.5}, "keep_prob"),
    ({"name": "graphens", "pred_temp": 0}, "pred_temp"),
    ({"name": "graphens", "warmup": 0}, "warmup"),
    ({"name": "graphens", "tau": 2}, "tau"),
])
def test_bad_settings_name_the_key(bal, message):
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    node = {**schema["properties"]["methods"]["additionalProperties"]["properties"]["balancing"],
            "definitions": schema["definitions"]}
    errors = list(jsonschema.Draft202012Validator(node).iter_errors(bal))
    assert errors
    assert any(message in (list(e.path) + [e.message]).__str__() for e in errors)
    ok = {"label": "t", "model": {"name": "gcn"}, "balancing": {"name": "graphens"}}
    _, full = prepare(ok, key="nodecls.methods.GE")
    assert full["balancing"] == {"name": "graphens", "keep_prob": 0.01, "pred_temp": 2.0,
                                 "warmup": 1}


@pytest.mark.parametrize("bal, model, addons", [
    ({"name": "graphens"}, "gcn", None),
    ({"name": "graphens", "keep_prob": 0.2}, "sage", None),
    ({"name": "graphens", "keep_prob": 0.2}, "gcn", ["tam"]),
])
def test_beats_chance(bal, model, addons, tiny_graph, tiny_split, make_method):
    m = make_method(bal, model=model, max_epochs=40)
    if addons:
        m["addons"] = addons
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
