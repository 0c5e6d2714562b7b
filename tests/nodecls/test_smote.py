"""Tests of imbgraph.nodecls.smote against a straightforward per-node reference loop, and the
fixed local-vs-global neighbour index of GraphSMOTE's up-sampling."""

from __future__ import annotations

import numpy as np
import torch

from imbgraph.nodecls.smote import (
    class_partners,
    draw_smote,
    interpolate,
    nearest_same_class,
)


def reference_nearest(h: np.ndarray, y: np.ndarray, train: np.ndarray) -> dict[int, int]:
    """For every training node, its nearest other training node of its class (a loop)."""
    out = {}
    for v in train:
        best, best_d = v, np.inf
        for u in train:
            if u != v and y[u] == y[v]:
                d = np.linalg.norm(h[u] - h[v])
                if d < best_d:
                    best, best_d = u, d
        out[int(v)] = int(best)
    return out


def setup(seed=0):
    g = torch.Generator().manual_seed(seed)
    n = 40
    h = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n,), generator=g)
    train = torch.randperm(n, generator=g)[:25]
    return h, y, train


def test_nearest_matches_reference_loop():
    h, y, train = setup()
    ref = reference_nearest(h.numpy(), y.numpy(), train.numpy())
    for c in range(3):
        nodes = train[y[train] == c]
        got = nearest_same_class(h, nodes)
        assert [ref[int(v)] for v in nodes] == got.tolist()
    part = class_partners(h, y, train, [0, 2])
    assert sorted(part) == [0, 2]


def test_synthetic_nodes_lie_on_the_segment_to_the_nearest_neighbour():
    h, y, train = setup(1)
    ref = reference_nearest(h.numpy(), y.numpy(), train.numpy())
    torch.manual_seed(0)
    new = torch.tensor([0, 7, 3])
    draw = draw_smote(h, y, train, new)
    assert len(draw) == 10 and draw.label.tolist() == [1] * 7 + [2] * 3
    syn = interpolate(h, draw)
    for i in range(len(draw)):
        b, p = int(draw.base[i]), int(draw.partner[i])
        assert int(y[b]) == int(draw.label[i]) and b in train.tolist()
        assert p == ref[b]  # partner is the nearest same-class training node
        d = float(draw.delta[i])
        assert 0.0 <= d < 1.0
        torch.testing.assert_close(syn[i], (1 - d) * h[b] + d * h[p])


def test_base_nodes_cycle_over_the_class():
    h, y, train = setup(2)
    k = int((y[train] == 0).sum())
    torch.manual_seed(0)
    draw = draw_smote(h, y, train, torch.tensor([2 * k + 1, 0, 0]))
    base = draw.base.tolist()
    nodes = train[y[train] == 0].tolist()
    assert sorted(base[: 2 * k]) == sorted(nodes * 2)  # two full passes
    assert base[2 * k] in nodes


def test_duplication_and_single_node_class():
    h, y, train = setup(3)
    torch.manual_seed(0)
    dup = draw_smote(None, y, train, torch.tensor([4, 0, 0]), interpolate=False)
    assert torch.equal(dup.base, dup.partner) and float(dup.delta.abs().sum()) == 0
    one = torch.tensor([train[0].item()])
    assert nearest_same_class(h, one).tolist() == one.tolist()


def test_fixed_index_vs_reference_code_bug():
    """GraphSMOTE's code took the neighbour's position inside the class's id list as a row
    of the whole embedding matrix. With class ids that are not 0..k-1 that pairs nodes with
    unrelated ones (other classes, untrained nodes); the fixed index never does."""
    torch.manual_seed(0)
    n = 30
    h = torch.randn(n, 2, dtype=torch.float64)
    y = torch.zeros(n, dtype=torch.long)
    train = torch.tensor([12, 17, 25, 29])
    y[train] = 1
    nodes = train[y[train] == 1]
    dist = torch.cdist(h[nodes], h[nodes])
    dist.fill_diagonal_(float("inf"))
    buggy_partner = dist.argmin(dim=1)  # local positions 0..3 used as global rows
    fixed = nearest_same_class(h, nodes)
    ref = reference_nearest(h.numpy(), y.numpy(), train.numpy())
    assert fixed.tolist() == [ref[int(v)] for v in nodes]
    assert not set(buggy_partner.tolist()) <= set(train.tolist())  # buggy rows leave the class
    assert set(fixed.tolist()) <= set(train.tolist())
