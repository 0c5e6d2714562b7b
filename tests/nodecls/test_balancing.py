"""Tests of imbgraph.nodecls.balancing: the class-weighted cross-entropy by hand,
:func:`copy_edges` against a hand-listed edge set, and every strategy's loss against a
reference built independently: over-sampling equals a GNN run on the graph with the copies
written in as real edges, raw SMOTE and Embed-SMOTE rows lie on the segment to the nearest
same-class training node (a distance loop), class weights weigh synthetic nodes too, and no
synthetic nodes means the plain loss. End-to-end training of each strategy is in
test_methods.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imbgraph.nodecls.balancing import (
    LOSSES,
    BalancedModel,
    Batch,
    EmbedSMOTE,
    OverSampling,
    Plain,
    RawSMOTE,
    copy_edges,
    weighted_ce,
)
from imbgraph.nodecls.models import GNN, Adjacency
from imbgraph.nodecls.smote import interpolate

# Nine nodes, two features. Undirected edges 0-1, 1-2, 2-3, 3-4, 4-5, 5-6, 0-3; 7 and 8 are
# isolated. Classes: 0 = {0, 1, 2, 8}, 1 = {3, 4, 5}, 2 = {6, 7}; nodes 7, 8 are not training.
UNDIRECTED = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 3)]
Y = [0, 0, 0, 1, 1, 1, 2, 2, 0]
TRAIN = [0, 1, 2, 3, 4, 5, 6]
# class 1: x3 = (0, 0), x4 = (1, 0), x5 = (0, 3): nearest 3 -> 4, 4 -> 3, 5 -> 3
X = [[1, 1], [2, 1], [1, 3], [0, 0], [1, 0], [0, 3], [-2, 2], [3, 3], [0, -1]]
# 3 new nodes for class 1 (k = 3: one full pass, bases 3, 4, 5) and 2 for class 2 (k = 1:
# node 6 twice): the bases are fixed, only the interpolation weights are random.
NEW = [0, 3, 2]
BASES = [3, 4, 5, 6, 6]
PARTNERS = [4, 3, 3, 6, 6]
LABELS = [1, 1, 1, 2, 2]


def both_directions(pairs) -> torch.Tensor:
    src = [a for a, b in pairs] + [b for a, b in pairs]
    dst = [b for a, b in pairs] + [a for a, b in pairs]
    return torch.tensor([src, dst])


def make_batch(x=None, weight=None, new=NEW, train=TRAIN) -> Batch:
    x = torch.tensor(X, dtype=torch.float32) if x is None else x
    ei = both_directions(UNDIRECTED)
    return Batch(x=x, adj=Adjacency.from_edge_index(ei, x.shape[0]), y=torch.tensor(Y),
                 train=torch.tensor(train), new_per_class=torch.tensor(new),
                 class_weight=weight, edge_index=ei)


def make_gnn(conv: str = "sage", seed: int = 0) -> GNN:
    torch.manual_seed(seed)
    return GNN(2, 3, conv=conv, hidden=5, dropout=0.0)


def reference_ce(logits: torch.Tensor, target: torch.Tensor, weight=None) -> float:
    """sum_i w_{t_i} * -log softmax(logits_i)[t_i] / sum_i w_{t_i}, as a loop."""
    num = den = 0.0
    for row, t in zip(logits.tolist(), target.tolist()):
        lse = math.log(sum(math.exp(v) for v in row))
        w = 1.0 if weight is None else float(weight[t])
        num += w * (lse - row[t])
        den += w
    return num / den


class Spy:
    """Records the inputs of a module's forward (pre-hook) and its output (hook). ``args``
    holds a GNN's input with any ``synthetic`` rows appended, as the network sees them."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.args, self.out = None, None
        module.register_forward_pre_hook(self._pre, with_kwargs=True)
        module.register_forward_hook(self._post)

    def _pre(self, module, args, kwargs):
        draw = kwargs.get("synthetic")
        if draw is not None:
            args = (torch.cat([args[0], interpolate(args[0], draw)]), *args[1:])
        self.args = args

    def _post(self, module, args, out):
        self.out = out


def segment_weight(row: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """delta with row = (1 - delta) a + delta b, asserting that row lies on that line."""
    if np.allclose(a, b):
        np.testing.assert_allclose(row, a, rtol=1e-5, atol=1e-5)
        return 0.0
    d = float(np.dot(row - a, b - a) / np.dot(b - a, b - a))
    np.testing.assert_allclose(row, a + d * (b - a), rtol=1e-5, atol=1e-5)
    return d


def nearest_loop(h: np.ndarray, nodes: list[int]) -> dict[int, int]:
    out = {}
    for v in nodes:
        others = [u for u in nodes if u != v]
        out[v] = min(others, key=lambda u: (np.linalg.norm(h[u] - h[v]), nodes.index(u))) \
            if others else v
    return out


# --- the loss ---------------------------------------------------------------------------------
def test_weighted_ce_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    target = torch.tensor([0, 1, 1])
    nll = [math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1)), math.log(2)]
    assert weighted_ce(logits, target, None).item() == pytest.approx(sum(nll) / 3, rel=1e-6)
    w = torch.tensor([1.0, 3.0])  # mean over the weights: (1 a + 3 b + 3 c) / 7
    want = (nll[0] + 3 * nll[1] + 3 * nll[2]) / 7
    assert weighted_ce(logits, target, w).item() == pytest.approx(want, rel=1e-6)
    assert LOSSES == {"ce": weighted_ce}


def test_batch_num_nodes():
    assert make_batch().num_nodes == 9


def test_base_class_and_plain():
    gnn = make_gnn()
    base = BalancedModel(gnn)
    with pytest.raises(NotImplementedError):
        base.loss(make_batch())
    with pytest.raises(NotImplementedError, match="Plain has no pre-training"):
        Plain(gnn).pretrain_loss(make_batch())
    assert base.pretrain_epochs == 0 and base.pretrain_parameters() == []
    b = make_batch(weight=torch.tensor([1.0, 2.0, 0.5]))
    torch.testing.assert_close(base(b.x, b.adj), gnn(b.x, b.adj))  # forward is the GNN's
    logits = gnn(b.x, b.adj)
    got = Plain(gnn).loss(b).item()
    assert got == pytest.approx(reference_ce(logits[b.train], b.y[b.train], [1.0, 2.0, 0.5]),
                                rel=1e-5)


def test_criterion_receives_the_class_weights():
    seen = []

    def crit(logits, target, weight):
        seen.append((logits.shape[0], target.tolist(), weight))
        return logits.sum() * 0

    w = torch.tensor([1.0, 2.0, 3.0])
    Plain(make_gnn(), crit).loss(make_batch(weight=w))
    assert seen[0][0] == 7 and seen[0][1] == [Y[i] for i in TRAIN] and seen[0][2] is w


# --- copy_edges -------------------------------------------------------------------------------
def test_copy_edges_by_hand():
    adj = Adjacency.from_edge_index(both_directions(UNDIRECTED), 9)
    out = copy_edges(adj, torch.tensor([3, 6, 7, 3]))  # 7 is isolated; 3 twice
    assert out.num_nodes == 13 and out.n == 9
    # 9 and 12 copy node 3 (neighbours 0, 2, 4), 10 copies 6 (neighbour 5), 11 copies 7 (none)
    pairs = [(0, 9), (2, 9), (4, 9), (5, 10), (0, 12), (2, 12), (4, 12)]
    want = sorted(pairs + [(b, a) for a, b in pairs])
    got = sorted(zip(out.extra_src.tolist(), out.extra_dst.tolist()))
    assert got == want
    assert out.extra_weight.tolist() == [1.0] * len(want)
    h = torch.arange(13 * 2, dtype=torch.float32).reshape(13, 2)
    mean = out.mean(h)
    torch.testing.assert_close(mean[9], h[[0, 2, 4]].mean(0))
    torch.testing.assert_close(mean[11], torch.zeros(2))  # no neighbours: PyG's zeros
    torch.testing.assert_close(mean[5], h[[4, 6, 10]].mean(0))  # real node sees the copy
    assert copy_edges(adj, torch.zeros(0, dtype=torch.long)).num_extra == 0


# --- over-sampling ----------------------------------------------------------------------------
@pytest.mark.parametrize("conv", ["sage", "gcn"])
def test_oversampling_equals_the_graph_with_real_copies(conv):
    weight = torch.tensor([0.5, 2.0, 3.0])
    b = make_batch(weight=weight)
    gnn = make_gnn(conv)
    got = OverSampling(gnn).loss(b)
    # reference: 5 appended nodes written into the edge list as real edges
    pairs = list(UNDIRECTED)
    for j, base in enumerate(BASES):
        nbrs = {v for a, c in UNDIRECTED for u, v in ((a, c), (c, a)) if u == base}
        pairs += [(9 + j, v) for v in sorted(nbrs)]
    x = torch.cat([b.x, b.x[BASES]])
    logits = gnn(x, Adjacency.from_edge_index(both_directions(pairs), 14))
    nodes = TRAIN + list(range(9, 14))
    target = torch.tensor([Y[i] for i in TRAIN] + LABELS)
    assert got.item() == pytest.approx(reference_ce(logits[nodes], target, weight), rel=1e-5)


# --- SMOTE ------------------------------------------------------------------------------------
def test_raw_smote_rows_lie_between_base_and_nearest_neighbour():
    torch.manual_seed(0)
    b = make_batch(weight=torch.tensor([1.0, 2.0, 4.0]))
    model = RawSMOTE(make_gnn())
    spy = Spy(model.gnn)
    loss = model.loss(b)
    x_aug, adj_aug = spy.args
    assert x_aug.shape == (14, 2) and adj_aug.num_nodes == 14
    torch.testing.assert_close(x_aug[:9], b.x)
    xs = x_aug.detach().numpy()
    deltas = [segment_weight(xs[9 + j], xs[BASES[j]], xs[PARTNERS[j]]) for j in range(5)]
    assert all(0.0 <= d < 1.0 for d in deltas[:3])
    # each synthetic node takes its base node's edges
    z = torch.randn(14, 3)
    torch.testing.assert_close(adj_aug.mean(z), copy_edges(b.adj, torch.tensor(BASES)).mean(z))
    target = torch.tensor([Y[i] for i in TRAIN] + LABELS)
    nodes = TRAIN + list(range(9, 14))
    assert loss.item() == pytest.approx(
        reference_ce(spy.out[nodes], target, [1.0, 2.0, 4.0]), rel=1e-5)


def test_raw_smote_finds_partners_again_for_new_features():
    model = RawSMOTE(make_gnn())
    spy = Spy(model.gnn)
    b1 = make_batch()
    model.loss(b1)
    x2 = b1.x.clone()
    x2[5] = torch.tensor([0.4, 0.5])  # now 3 -> 5, 4 -> 5, 5 -> 3
    for batch, partners in ((make_batch(x=x2), [5, 5, 3]), (b1, PARTNERS[:3])):
        model.loss(batch)
        xs = spy.args[0].detach().numpy()
        assert nearest_loop(xs, [3, 4, 5]) == dict(zip([3, 4, 5], partners))
        for j in range(3):
            assert 0.0 <= segment_weight(xs[9 + j], xs[BASES[j]], xs[partners[j]]) < 1.0


def test_embed_smote_interpolates_the_last_convolution():
    torch.manual_seed(1)
    weight = torch.tensor([1.0, 3.0, 2.0])
    b = make_batch(weight=weight)
    model = EmbedSMOTE(make_gnn(seed=2))
    head = Spy(model.gnn.lin)
    loss = model.loss(b)
    (rows,) = head.args
    assert rows.shape == (14, 5)
    with torch.no_grad():
        h = model.gnn.embed(model.gnn.encode(b.x, b.adj), b.adj)
    torch.testing.assert_close(rows[:9], h)
    hs = h.numpy()
    near = {**nearest_loop(hs, [3, 4, 5]), 6: 6}
    for j, base in enumerate(BASES):
        d = segment_weight(rows[9 + j].detach().numpy(), hs[base], hs[near[base]])
        assert 0.0 <= d < 1.0
    target = torch.tensor([Y[i] for i in TRAIN] + LABELS)
    nodes = TRAIN + list(range(9, 14))
    assert loss.item() == pytest.approx(reference_ce(head.out[nodes], target, weight), rel=1e-5)
    loss.backward()  # the synthetic rows stay differentiable in the encoder
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in model.gnn.encoder.parameters())


@pytest.mark.parametrize("cls", [OverSampling, RawSMOTE, EmbedSMOTE])
@pytest.mark.parametrize("new, train", [
    ([0, 0, 0], TRAIN),              # nothing to add
    ([0, 0, 4], [0, 1, 2, 3, 4, 5]),  # class 2 has no training node: nothing to copy
])
def test_no_synthetic_nodes_is_the_plain_loss(cls, new, train):
    gnn = make_gnn()
    b = make_batch(new=new, train=train, weight=torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(cls(gnn).loss(b), Plain(gnn).loss(b))
