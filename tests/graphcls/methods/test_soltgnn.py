"""Tests of imbgraph.graphcls.methods.soltgnn: the head border, the subgraph walk, the pattern
memory and the co-occurrence loss by hand, the start-up check, and a run that beats chance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbgraph.errors import ConfigError
from imbgraph.graphcls.job import prepare, run_method
from imbgraph.graphcls.methods.soltgnn import (
    PatternMemory,
    build,
    cooccurrence_loss,
    head_border,
    sample_subgraph,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

METHOD = {"label": "SOLT-GNN", "kind": "soltgnn", "model": {"name": "gin", "hidden": 16, "layers": 2},
          "train": {"epochs": 5, "patience": 5, "lr": 0.01, "batch_size": 16}}


def test_head_border_takes_the_largest_fraction():
    sizes = np.array([5, 9, 3, 12, 7, 9, 4, 20, 6, 8])
    assert head_border(sizes, 0.2) == 12          # the 2 largest: 20, 12
    assert head_border(sizes, 0.3) == 9           # 20, 12, 9 (and the tie 9)
    with pytest.raises(ValueError, match="head_fraction = 1"):
        head_border(sizes, 1)


def test_head_fraction_outside_the_interval_stops_at_start_up():
    with pytest.raises(ConfigError, match=r"method\.params\.head_fraction = 0; expected a value in \(0, 1\)"):
        prepare({**METHOD, "params": {"head_fraction": 0}})
    with pytest.raises(ConfigError, match=r"head_model = 'x'"):
        prepare({**METHOD, "params": {"head_model": "x"}})
    with pytest.raises(ConfigError, match="runs on 'gin'"):
        prepare({**METHOD, "model": {"name": "gps"}})


def test_subgraph_walk_is_a_depth_first_walk_of_k_nodes():
    # path 0-1-2-3-4-5 (CSR, neighbours in id order): a stack walk keeps a contiguous stretch
    rowptr = np.array([0, 1, 3, 5, 7, 9, 10])
    col = np.array([1, 0, 2, 1, 3, 2, 4, 3, 5, 4])
    for seed in range(5):
        kept = sample_subgraph(rowptr, col, 6, 3, np.random.default_rng(seed))
        assert len(kept) == 3 and len(set(kept.tolist())) == 3
        assert kept.max() - kept.min() == 2  # connected on a path
    # by hand: from start s the walk pushes s - 1, s + 1 and pops s + 1 first (rightwards
    # to the end, then back left)
    want = {0: [0, 1, 2], 1: [1, 2, 3], 2: [2, 3, 4], 3: [3, 4, 5], 4: [4, 5, 3], 5: [5, 4, 3]}
    for seed in range(8):
        start = int(np.random.default_rng(seed).permutation(6)[0])
        kept = sample_subgraph(rowptr, col, 6, 3, np.random.default_rng(seed))
        assert kept.tolist() == want[start]


def test_pattern_memory_by_hand():
    torch.manual_seed(0)
    mem = PatternMemory(3, 2)
    g = torch.randn(4, 3)
    lrelu = lambda t: F.leaky_relu(t, 0.2)  # noqa: E731
    for r in range(4):
        xg, xb = g[r] @ mem.U_gamma, g[r] @ mem.U_beta          # (m,)
        gamma = torch.stack([lrelu(xg * mem.W_gamma[0, j]) for j in range(2)])  # (j, i)
        beta = torch.stack([lrelu(xb * mem.W_beta[0, j]) for j in range(2)])
        p = (gamma + 1) * mem.know + beta
        want = lrelu(p @ mem.M).t() @ mem.eta[:, 0]
        assert torch.allclose(mem(g)[r], want, atol=1e-6)


def test_cooccurrence_loss_by_hand():
    q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    pos = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    neg = torch.tensor([[0.0, 1.0], [0.0, -1.0]])
    c1 = 1.0 - 0.0
    c2 = 1 / np.sqrt(2) - (-1.0)
    want = -(np.log(1 / (1 + np.exp(-c1))) + np.log(1 / (1 + np.exp(-c2)))) / 2
    assert float(cooccurrence_loss(q, pos, neg)) == pytest.approx(want, abs=1e-5)


def test_head_graphs_go_to_the_plain_gin(make_inputs):
    inputs = make_inputs("soltgnn", {"head_fraction": 0.3})
    learner, batcher = build(inputs)
    learner.eval()
    b = batcher(np.arange(0, 120, 7))
    head = learner._is_head(b)
    assert head.any() and (~head).any()
    out = learner.log_proba(b)
    solo = F.log_softmax(learner.predict(learner.encoder(b)[0] + learner.memory(
        learner.encoder(b)[0])), dim=1)
    gin = F.log_softmax(learner.head_predict(learner.head_encoder(b)[0]), dim=1)
    assert torch.allclose(out[~head], solo[~head]) and torch.allclose(out[head], gin[head])
    learner.train()
    assert torch.isfinite(learner.loss(b))


def test_beats_chance(tiny_run):
    coll, pe, split = tiny_run
    m = {**METHOD, "params": {"head_fraction": 0.3, "head_model": "solt"}}
    metrics, summary = run_method(coll, pe, split, m, seed=0, progress=False)
    assert metrics["balanced_acc"] > 0.7
    assert summary["head_border"] == head_border(coll.sizes, 0.3)


def test_pattern_memory_equals_the_literal_computation_with_gradients():
    torch.manual_seed(2)
    mem = PatternMemory(5, 6)
    with torch.no_grad():
        mem.W_gamma[0, :3] = mem.W_gamma[0, :3].abs()   # both signs present
        mem.W_gamma[0, 3:] = -mem.W_gamma[0, 3:].abs()
        mem.W_beta[0, ::2] = -mem.W_beta[0, ::2].abs()
    g = torch.randn(7, 5)
    out, lit = mem(g), mem.forward_literal(g)
    assert torch.allclose(out, lit, atol=1e-5)
    g1 = torch.autograd.grad(out.square().sum(), list(mem.parameters()))
    g2 = torch.autograd.grad(mem.forward_literal(g).square().sum(), list(mem.parameters()))
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, atol=1e-4)


def test_a_batch_without_two_head_graphs_is_skipped(make_inputs):
    learner, batcher = build(make_inputs("soltgnn", {"head_fraction": 0.05, "head_model": "solt"}))
    learner.train()
    b = batcher(np.argsort(learner.sizes)[:8])  # the smallest graphs: no head graph
    assert not learner._is_head(b).any()
    loss = learner.loss(b)
    loss.backward()
    assert float(loss) == 0 and all(p.grad is None for p in learner.parameters())
