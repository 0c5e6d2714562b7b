"""Tests of imbgraph.graphcls.prototypes: routing picks exactly the top-K2 prototypes of
sigmoid(attention) + bias per graph and head, prototypes aggregate their top-K1 graphs, target
loads, and the bias update moving the load toward balance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.prototypes import (
    BalancedPrototypes,
    PrototypeBlock,
    load_counts,
    target_load,
    update_bias,
)


def test_target_loads():
    np.testing.assert_allclose(target_load("uniform", 4), [0.25] * 4)
    np.testing.assert_allclose(target_load("zipf", 3), [6 / 11, 3 / 11, 2 / 11])
    e = np.exp(-0.5 * np.arange(1, 4))
    np.testing.assert_allclose(target_load("exponential", 3), e / e.sum())
    p = np.array([3.0, 4.5, 4.5])  # 3^k / k! for k = 1, 2, 3 (e^-3 cancels)
    np.testing.assert_allclose(target_load("poisson", 3), p / p.sum())
    with pytest.raises(KeyError, match="expected one of"):
        target_load("pareto", 3)


def test_routing_is_exactly_top_k2():
    torch.manual_seed(0)
    m = BalancedPrototypes(16, n_prototypes=6, heads=2, top_k2=3, top_k1=4)
    x = torch.randn(10, 16)
    bias = torch.randn(2, 6) * 0.1
    out, routes, soft = m(x, bias)
    assert out.shape == (10, 16) and routes.shape == (10, 2, 3) and soft.shape == (10, 2, 6)
    score = torch.sigmoid(m.attention(x)) + bias
    for i in range(10):  # reference loop: the K2 best scores of graph i in head h
        for h in range(2):
            chosen = set(routes[i, h].tolist())
            assert len(chosen) == 3
            best = set(torch.argsort(score[i, h], descending=True)[:3].tolist())
            assert chosen == best


def test_bias_changes_routing():
    torch.manual_seed(0)
    m = BalancedPrototypes(8, n_prototypes=4, heads=1, top_k2=1, top_k1=2)
    x = torch.randn(5, 8)
    bias = torch.zeros(1, 4)
    bias[0, 2] = 5.0  # larger than any sigmoid gap: every graph routes to prototype 2
    _, routes, _ = m(x, bias)
    assert routes.view(-1).tolist() == [2] * 5


def test_prototype_aggregates_its_top_k1_graphs():
    torch.manual_seed(1)
    m = BalancedPrototypes(4, n_prototypes=3, heads=1, top_k2=1, top_k1=2)
    with torch.no_grad():
        m.gate_x.fill_(-50.0)  # drop the residual: output = routed prototype only
        m.gate_p.fill_(50.0)
    x = torch.randn(6, 4)
    out, routes, _ = m(x, torch.zeros(1, 3))
    attn = m.attention(x)[:, 0, :]
    v = m.value(x)
    for i in range(6):
        k = int(routes[i, 0, 0])
        top = torch.topk(attn[:, k], 2).indices
        proto = (torch.sigmoid(attn[top, k])[:, None] * v[top]).sum(0)
        torch.testing.assert_close(out[i], proto, rtol=1e-4, atol=1e-5)


def test_load_counts():
    routes = torch.tensor([[[0, 1]], [[1, 2]], [[1, 0]]])  # 3 graphs, 1 head, K2 = 2
    assert load_counts(routes, 4).tolist() == [[2, 3, 1, 0]]


def test_update_bias_direction():
    load = torch.tensor([[6, 2, 0, 4]])  # 12 routes, uniform target 3 each
    b = update_bias(torch.zeros(1, 4), load, torch.full((4,), 0.25), step=0.1)
    torch.testing.assert_close(b, torch.tensor([[-0.1, 0.1, 0.1, -0.1]]))


def test_bias_moves_load_toward_balance():
    """Routing fixed embeddings with a skewed key: repeated updates even out the load."""
    torch.manual_seed(0)
    m = BalancedPrototypes(8, n_prototypes=4, heads=1, top_k2=1, top_k1=4)
    with torch.no_grad():
        m.keys[0] += 3.0  # prototype 0 attracts most graphs
    x = torch.randn(64, 8).abs()
    bias = torch.zeros(1, 4)
    target = torch.full((4,), 0.25)
    spread = []
    for _ in range(300):
        _, routes, _ = m(x, bias)
        load = load_counts(routes, 4)
        spread.append(int(load.max() - load.min()))
        bias = update_bias(bias, load, target, step=0.01)
    assert spread[0] >= 30
    assert max(spread[-20:]) <= spread[0] / 3


def test_block_shapes():
    blk = PrototypeBlock(16, 3, n_prototypes=4, heads=2, top_k2=2, top_k1=3)
    logits, routes, _ = blk(torch.randn(7, 16), torch.zeros(2, 4))
    assert logits.shape == (7, 3) and routes.shape == (7, 2, 2)


def test_update_bias_official_by_hand():
    """The code's rule: every head's routes of the batch summed, against one head's target
    TopK_2 * 2 * batch_size * u_k = 2 * 2 * 4 * 1/4 = 4 per prototype (uniform, K = 4)."""
    from imbgraph.graphcls.prototypes import update_bias_official

    bias = torch.zeros(2, 4)
    load = torch.tensor([[3, 1, 2, 2], [3, 1, 0, 2]])   # sums 6, 2, 2, 4
    out = update_bias_official(bias, load, torch.full((4,), 0.25), 2, 4, step=0.5)
    assert torch.equal(out, torch.tensor([[-0.5, 0.5, 0.5, 0.0]] * 2))
