"""Tests of imbgraph.nodecls.adjacency: weighted extra edges behave like real ones, the
weighted mean by hand, gradients (gradcheck) through features and edge weights, the CSR and
edge-list paths agree, neighbour lists, and pair_dot against gathered rows."""

from __future__ import annotations

import pytest
import torch

from imbgraph.nodecls.adjacency import Adjacency, pair_dot

EI = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 0], [1, 0, 2, 1, 3, 2, 0, 4]])  # node 5 isolated


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


def test_pair_dot_equals_gathered_rows():
    torch.manual_seed(0)
    a = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    rows, cols = torch.tensor([0, 0, 2, 3, 3, 3]), torch.tensor([1, 6, 0, 0, 2, 5])
    torch.testing.assert_close(pair_dot(a, b, rows, cols), (a[rows] * b[cols]).sum(1))
    assert torch.autograd.gradcheck(lambda a, b: pair_dot(a, b, rows, cols), (a, b))
    assert pair_dot(a, b, rows[:0], cols[:0]).shape == (0,)


def test_sum_over_degree_plus_one_hand_computed():
    """GraphSMOTE's code's aggregation: (weighted) neighbour sum / ((weighted) degree + 1);
    a node without neighbours gets zeros."""
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0], [3.0, 1.0]])
    adj = Adjacency.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 3)  # 0 - 1, 2 alone
    aug = adj.augment(4, torch.tensor([3]), torch.tensor([0]), torch.tensor([0.5]))
    got = aug.sum_over_degree_plus_one(x)
    want = torch.tensor([[(0 + 0.5 * 3) / 2.5, (2 + 0.5 * 1) / 2.5],  # deg 1 + 0.5
                         [1 / 2, 0 / 2],
                         [0.0, 0.0],
                         [0.5 * 1 / 1.5, 0.0]])                       # only the extra edge
    torch.testing.assert_close(got, want)
