"""Tests of imbgraph.graphcls.augment: exact per-graph masking counts, edge removal extremes,
and the personalised perturbation's ratios."""

from __future__ import annotations

import numpy as np
import torch

from imbgraph.graphcls.augment import PersonalisedPerturbation, mask_node, remove_edge


def test_mask_node_counts_per_graph(tiny):
    b = tiny.batch(np.arange(10))
    b = b._replace(x=torch.ones_like(b.x))
    x, ei = mask_node(b, 0.3)
    masked = (x.sum(dim=1) == 0)
    sizes = (b.ptr[1:] - b.ptr[:-1])
    per_graph = torch.zeros(10, dtype=torch.int64).index_add_(0, b.batch, masked.long())
    assert per_graph.tolist() == torch.floor(sizes * 0.3).long().tolist()
    assert ei is b.edge_index


def test_remove_edge_extremes(tiny):
    b = tiny.batch(np.arange(5))
    assert remove_edge(b, 0.0)[1].shape == b.edge_index.shape
    assert remove_edge(b, 1.0)[1].shape[1] == 0
    torch.manual_seed(0)
    kept = remove_edge(b, 0.5)[1].shape[1] / b.edge_index.shape[1]
    assert 0.35 < kept < 0.65


def test_perturbation_ratios_in_unit_interval(tiny):
    torch.manual_seed(0)
    p = PersonalisedPerturbation().eval()
    b = tiny.batch(np.arange(8))
    r = p.ratios(b)
    assert r.shape == (8, 2) and not r.requires_grad
    assert ((r > 0) & (r < 1)).all()
    x, ei = p(b)
    assert x.shape == b.x.shape and ei.shape[1] <= b.edge_index.shape[1]
