"""Tests of imbgraph.nodecls.methods.oversampling: :func:`copy_edges` against a hand-listed
edge set; over-sampling equals a GNN run on the graph with the copies written in as real
edges; raw SMOTE rows lie on the segment to the nearest same-class training node (a distance
loop), take their base node's edges, and class weights weigh them too."""

from __future__ import annotations

import pytest
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.oversampling import OverSampling, RawSMOTE, copy_edges
from imbgraph.testing.node_toy import (
    BASES,
    LABELS,
    PARTNERS,
    TRAIN,
    UNDIRECTED,
    Spy,
    Y,
    both_directions,
    make_batch,
    make_gnn,
    nearest_loop,
    reference_ce,
    segment_weight,
)


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
