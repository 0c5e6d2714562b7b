"""Tests of imbgraph.graphcls.methods.base: the inputs of a method (a fresh backbone from
torch's seeded generator and its batcher, training counts) and the protocol's shape."""

from __future__ import annotations

import numpy as np
import torch

from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.methods.base import BuildMethod
from imbgraph.graphcls.methods.supervised import build


def test_backbone_is_fresh_and_seeded(make_inputs):
    inputs = make_inputs("supervised")
    torch.manual_seed(0)
    enc, batcher = inputs.backbone()
    torch.manual_seed(0)
    again, _ = inputs.backbone()
    assert enc is not again and all(torch.equal(a, b) for a, b in
                                    zip(enc.state_dict().values(), again.state_dict().values()))
    b = batcher(np.array([3, 1]))
    assert isinstance(b, GraphBatch) and b.ids.tolist() == [3, 1] and b.pe.shape[1] == 3
    g, h = enc(b)
    assert g.shape == (2, 8) and h.shape == (b.x.shape[0], 8)


def test_train_counts_and_classes(make_inputs):
    inputs = make_inputs("supervised")
    counts = inputs.train_counts()
    assert counts.tolist() == np.bincount(inputs.collection.y[inputs.split.train]).tolist()
    assert inputs.num_classes == 2 == counts.shape[0]


def test_builds_follow_the_protocol():
    build_method: BuildMethod = build  # a built-in kind's build is a BuildMethod
    assert callable(build_method)
