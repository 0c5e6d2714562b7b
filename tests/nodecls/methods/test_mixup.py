"""Tests of imbgraph.nodecls.methods.mixup (IceBerg's Mixup, and the pieces GraphENS and
GraphSHA share): the pairs balance the classes with targets weighted log(n_k) / n_k, the
mixed rows by hand, appending them after the first layer's map equals running the GNN on
the explicit features (narrow and wide inputs, with a feature mask), the copied in-edges
leave the real nodes' outputs alone, the loss by hand, sampling without replacement against
its exact probabilities, TAM on the augmented graph, and a run that beats chance."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import torch
import yaml

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import run_method
from imbgraph.nodecls.methods.mixup import (
    MixDraw,
    Mixup,
    copy_in_edges,
    gumbel_topk,
    mixed_loss,
    sample_pairs,
    synthetic_into,
)
from imbgraph.nodecls.methods.tam import TAM
from imbgraph.nodecls.models import GNN
from imbgraph.testing.node_toy import TRAIN, UNDIRECTED, Y, make_batch, make_gnn, reference_ce

SCHEMA_PATH = Path(__file__).parents[3] / "workflow" / "schemas" / "nodecls.schema.yaml"

COUNTS = torch.tensor([3, 3, 1])  # the toy's training nodes 0..6: classes 0, 0, 0, 1, 1, 1, 2


def toy_adj(n: int = 9) -> Adjacency:
    src = [a for a, b in UNDIRECTED] + [b for a, b in UNDIRECTED]
    dst = [b for a, b in UNDIRECTED] + [a for a, b in UNDIRECTED]
    return Adjacency.from_edge_index(torch.tensor([src, dst]), n)


def test_pairs_balance_the_classes_and_weigh_targets():
    y, train = torch.tensor(Y), torch.tensor(TRAIN)
    torch.manual_seed(0)
    src, dst = sample_pairs(y, train, COUNTS)
    # max 3: class 2 (one node, 6) gets two synthetic nodes, the others none
    assert src.tolist() == [6, 6]
    assert torch.bincount(torch.cat([y[train], y[src]]), minlength=3).tolist() == [3, 3, 3]
    # targets: a training node of class k with weight log(n_k) / n_k; class 2 (n = 1) never
    torch.manual_seed(1)
    many = [sample_pairs(y, train, torch.tensor([3, 3, 1]))[1] for _ in range(300)]
    dst = torch.cat(many)
    assert set(dst.tolist()) <= {0, 1, 2, 3, 4, 5}
    share0 = float((y[dst] == 0).float().mean())
    assert share0 == pytest.approx(0.5, abs=0.05)  # equal counts 3 and 3: equal weights
    # unequal classes: sources sorted, each of its own class, m = sum of max - n_c
    y2 = torch.tensor([0, 0, 0, 0, 1, 1, 2])
    src, dst = sample_pairs(y2, torch.arange(7), torch.tensor([4, 2, 1]))
    assert src.shape[0] == 2 + 3 and torch.equal(src, torch.sort(src).values)
    assert torch.bincount(y2[src], minlength=3).tolist() == [0, 2, 3]


def test_rows_and_mask_by_hand():
    x = torch.tensor([[1.0, 2.0, 3.0], [5.0, 6.0, 7.0], [0.0, 0.0, 1.0]])
    draw = MixDraw(torch.tensor([0, 2]), torch.tensor([1, 1]), torch.tensor([[0.25], [0.5]]),
                   torch.tensor([0, 1]), x=x)
    torch.testing.assert_close(draw.rows(x), torch.tensor([[4.0, 5.0, 6.0], [2.5, 3.0, 4.0]]))
    # feature 2 of the first node and features 0, 1 of the second (its third entry, a
    # repeat in the code, does not count) are the source's
    masked = MixDraw(draw.src, draw.dst, draw.lam, draw.label, x=x,
                     mask_idx=torch.tensor([[2, 0], [0, 1]]),
                     mask_valid=torch.tensor([[True, False], [True, True]]))
    torch.testing.assert_close(masked.rows(x), torch.tensor([[4.0, 5.0, 3.0], [0.0, 0.0, 4.0]]))


@pytest.mark.parametrize("conv", ["sage", "gcn"])
@pytest.mark.parametrize("width", [2, 8])  # narrow (raw rows appended) and wide (projected)
def test_appended_rows_equal_explicit_features(conv, width):
    torch.manual_seed(3)
    x = torch.randn(9, width)
    gnn = GNN(width, 3, conv=conv, hidden=4, dropout=0.0)
    adj = toy_adj()
    src, dst = torch.tensor([6, 6, 3]), torch.tensor([0, 4, 1])
    j, u = copy_in_edges(adj, src)
    aug = synthetic_into(adj, 3, j, u)
    mask = (torch.tensor([[1, 0], [0, 0], [1, 0]]), torch.tensor([[True, True], [True, False],
                                                                  [False, False]]))
    mask[1][2, 0] = True
    draw = MixDraw(src, dst, torch.tensor([[0.3], [0.6], [0.9]]), torch.tensor([2, 2, 1]),
                   x=x, mask_idx=mask[0], mask_valid=mask[1])
    got = gnn(x, aug, synthetic=draw)
    want = gnn(torch.cat([x, draw.rows(x)]), aug)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # one-way edges: the real nodes' outputs are the plain graph's
    torch.testing.assert_close(got[:9], gnn(x, adj), rtol=1e-5, atol=1e-5)
    # each synthetic node's in-neighbours are its source's
    for pos, s in enumerate(src.tolist()):
        assert sorted(u[j == pos].tolist()) == sorted(adj.neighbors(torch.tensor([s]))[1].tolist())


def test_loss_by_hand():
    gnn = make_gnn(conv="gcn")
    model = Mixup(gnn, torch.nn.functional.cross_entropy, COUNTS)
    b = make_batch(weight=torch.tensor([1.0, 2.0, 0.5]))
    torch.manual_seed(5)
    loss = model.loss(b)
    draw, adj = model.last_draw, model.last_adj
    assert draw.src.tolist() == [6, 6] and draw.label.tolist() == [2, 2]
    assert bool(((draw.lam > 0) & (draw.lam < 1)).all())
    logits = gnn(torch.cat([b.x, draw.rows(b.x)]), adj)
    rows = torch.cat([logits[b.train], logits[9:]])
    target = torch.cat([b.y[b.train], draw.label])
    assert loss.item() == pytest.approx(reference_ce(rows, target, [1.0, 2.0, 0.5]), rel=1e-5)
    torch.testing.assert_close(model.prev_logits, logits[:9].detach())


def test_gumbel_topk_draws_without_replacement():
    torch.manual_seed(0)
    g = 20000
    group = torch.arange(g).repeat_interleave(3)
    weight = torch.tensor([1.0, 2.0, 3.0]).repeat(g)
    one = gumbel_topk(group, weight, torch.ones(g, dtype=torch.long), g).view(g, 3)
    assert one.sum(1).eq(1).all()
    freq = one.float().mean(0)
    torch.testing.assert_close(freq, torch.tensor([1 / 6, 2 / 6, 3 / 6]), atol=0.01, rtol=0)
    # two of three, one after the other: item 0 is left out with probability
    # P(1 then 2) + P(2 then 1) = 2/6 * 3/4 + 3/6 * 2/3 = 7/12
    two = gumbel_topk(group, weight, torch.full((g,), 2), g).view(g, 3)
    assert two.sum(1).eq(2).all()
    assert float((~two[:, 0]).float().mean()) == pytest.approx(7 / 12, abs=0.01)
    # a group with fewer items than asked keeps them all; k = 0 keeps none
    keep = gumbel_topk(torch.tensor([0, 0, 1]), torch.ones(3), torch.tensor([5, 0]), 2)
    assert keep.tolist() == [True, True, False]


def test_tam_sees_the_augmented_graph():
    gnn = make_gnn()
    model = Mixup(gnn, torch.nn.functional.cross_entropy, COUNTS)
    model.addons.append(TAM(COUNTS.float(), warmup=0))
    b = make_batch()
    torch.manual_seed(2)
    draw, adj = model.mixup_draw(b)
    logits = gnn(b.x, adj, synthetic=draw)
    seen = {}
    original = TAM.forward

    def spy(self, lg, batch, out):
        seen["deg"], seen["train"] = batch.adj.deg, batch.train
        seen["mean"] = batch.adj.mean(lg)
        return original(self, lg, batch, out)

    TAM.forward = spy
    try:
        with_tam = mixed_loss(model, logits, b, adj, draw.label)
    finally:
        TAM.forward = original
    # the synthetic nodes 9, 10 count as training nodes, with their in-degree (node 6's: 1)
    assert seen["train"].tolist() == TRAIN + [9, 10]
    assert seen["deg"].tolist() == [2, 2, 2, 3, 2, 2, 1, 0, 0, 1, 1]
    assert seen["mean"].shape == (11, 3)
    model.addons = torch.nn.ModuleList()
    assert with_tam.item() != pytest.approx(mixed_loss(model, logits, b, adj,
                                                       draw.label).item())


def test_schema_takes_no_settings():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    bal = schema["properties"]["methods"]["additionalProperties"]["properties"]["balancing"]
    v = jsonschema.Draft202012Validator(bal)
    assert not list(v.iter_errors({"name": "mixup"}))
    errors = list(v.iter_errors({"name": "mixup", "scale": 1.0}))
    assert errors and "scale" in errors[0].message


@pytest.mark.parametrize("model, addons", [("sage", None), ("gcn", ["tam"])])
def test_beats_chance(model, addons, tiny_graph, tiny_split, make_method):
    m = make_method({"name": "mixup"}, model=model, max_epochs=40)
    if addons:
        m["addons"] = addons
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
