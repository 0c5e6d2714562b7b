"""Exphormer: the attention pattern against the paper's description, normalised weights,
the expander construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.exphormer import (
    ExphormerAttention,
    ExphormerEncoder,
    attention_edges,
    random_expander,
    spectral_gap,
)


def _pairs(ei: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(s), int(d)) for s, d in ei.t().tolist()}


def test_expander_is_2d_regular_from_d_permutations():
    e = random_expander(30, 3, np.random.default_rng(0))
    assert e.shape == (2, 2 * 30 * 3)
    # every node sends and receives 2d edges (the multigraph of d permutations, symmetrised)
    assert (np.bincount(e[0], minlength=30) == 6).all()
    assert (np.bincount(e[1], minlength=30) == 6).all()
    assert _pairs(torch.from_numpy(e)) == _pairs(torch.from_numpy(e[::-1].copy()))
    # the redraw loop keeps a draw at least as good as the first
    first = random_expander(30, 3, np.random.default_rng(0), max_iters=1)
    assert spectral_gap(e[0], e[1], 30) >= spectral_gap(first[0], first[1], 30) - 1e-9


def test_small_graphs_get_the_complete_graph():
    e = random_expander(4, 5, np.random.default_rng(0))
    assert _pairs(torch.from_numpy(e)) == {(i, j) for i in range(4) for j in range(4) if i != j}


def test_spectral_gap_of_a_cycle():
    n = 12  # cycle: Laplacian eigenvalues 2 - 2 cos(2 pi k / n)
    src = np.concatenate([np.arange(n), (np.arange(n) + 1) % n])
    dst = np.concatenate([(np.arange(n) + 1) % n, np.arange(n)])
    assert spectral_gap(src, dst, n) == pytest.approx(2 - 2 * np.cos(2 * np.pi / n))


def test_attention_pattern_is_local_plus_expander_plus_virtual_node():
    # two graphs: a path 0-1-2 and an edge 3-4; expander edges given by hand
    local = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    expander = torch.tensor([[0, 2, 3, 4], [2, 0, 4, 3]])
    batch = torch.tensor([0, 0, 0, 1, 1])
    ei, types = attention_edges(local, expander, batch, num_graphs=2, virtual=1)
    n = 5  # virtual node of graph g: n + g
    want = (_pairs(local) | _pairs(expander)
            | {(i, n + int(batch[i])) for i in range(n)} | {(n + int(batch[i]), i) for i in range(n)})
    assert _pairs(ei) == want
    assert ei.shape[1] == 6 + 4 + 2 * 5  # no other pair attends
    assert types.tolist() == [0] * 6 + [1] * 4 + [2] * 5 + [3] * 5
    # no pair crosses graphs (virtual nodes belong to their graph)
    graph = torch.cat([batch, torch.tensor([0, 1])])
    assert (graph[ei[0]] == graph[ei[1]]).all()


def test_attention_weights_sum_to_one_per_query_and_match_a_softmax():
    torch.manual_seed(0)
    att = ExphormerAttention(8, 2)
    h = torch.randn(4, 8)
    ei = torch.tensor([[1, 2, 3, 0, 0], [0, 0, 0, 1, 2]])
    attr = torch.randn(5, 8)
    out, w = att(h, ei, attr, return_weights=True)
    z = torch.zeros(4, 2).index_add_(0, ei[1], w)
    assert torch.allclose(z[[0, 1, 2]], torch.ones(3, 2), atol=1e-5)
    assert (z[3] == 0).all()  # node 3 receives no edge: no query there
    # node 0, head 0 by hand: softmax of the clamped scaled scores over its sources 1, 2, 3
    q, k, v, e = att.Q(h), att.K(h), att.V(h), att.E(attr)
    s = torch.stack([(k[j, :4] * q[0, :4] / 2 * e[i, :4]).sum() for i, j in enumerate([1, 2, 3])])
    p = s.clamp(-5, 5).exp()
    p = p / (p.sum() + 1e-6)
    assert torch.allclose(w[:3, 0], p, atol=1e-6)
    assert torch.allclose(out[0, :4], (p[:, None] * v[[1, 2, 3], :4]).sum(0), atol=1e-6)


def test_encoder_runs_and_draws_one_expander_per_graph(tiny_run):
    coll, pe, _ = tiny_run
    torch.manual_seed(0)
    enc = ExphormerEncoder(coll.num_features, pe.shape[1], hidden=8, layers=2, heads=2)
    b = coll.batch(np.array([0, 5, 70]), pe)
    g, h = enc(b)
    assert g.shape == (3, 8) and h.shape == (b.x.shape[0], 8)
    sizes = coll.sizes
    first = [enc.expander(g, int(sizes[g])) for g in (0, 5, 70)]
    again = ExphormerEncoder(coll.num_features, pe.shape[1], hidden=8, layers=2, heads=2)
    again(coll.batch(np.array([70, 0]), pe))  # a later run's encoder: the same draws
    assert all(e is again.expander(g, int(sizes[g])) for e, g in zip(first, (0, 5, 70)))
    fresh = random_expander(int(sizes[5]), 5, np.random.default_rng([0, 5]))
    assert np.array_equal(first[1].numpy(), fresh)


def test_edge_type_table_gives_the_per_edge_numbers():
    torch.manual_seed(1)
    att = ExphormerAttention(8, 2)
    h, table = torch.randn(5, 8), torch.randn(3, 8)
    ei = torch.tensor([[1, 2, 3, 4, 0], [0, 0, 1, 1, 2]])
    types = torch.tensor([0, 2, 1, 1, 0])
    assert torch.allclose(att(h, ei, table, edge_type=types), att(h, ei, table[types]), atol=1e-6)


def test_spectral_gap_of_large_graphs_by_lanczos_equals_the_dense_one():
    n = 650
    e = random_expander(n, 2, np.random.default_rng(1), max_iters=1)
    a = np.zeros((n, n))
    np.add.at(a, (e[0], e[1]), 1.0)
    dense = np.linalg.eigvalsh(np.diag(a.sum(1)) - a)[1]
    assert spectral_gap(e[0], e[1], n) == pytest.approx(dense, abs=1e-6)
