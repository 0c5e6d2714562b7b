"""Tests of imbgraph.graphcls.methods.g2gnn: the padded, normalised graph-of-graphs adjacency
and propagation by hand, and G2GNN's batches: the batch's own rows, read after propagation
over its kNN neighbours (which change the prediction)."""

from __future__ import annotations

import numpy as np
import torch

from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.kernel_knn import kernel_knn
from imbgraph.graphcls.methods.base import MethodInputs
from imbgraph.graphcls.methods.g2gnn import build, gog_adjacency, propagate
from imbgraph.graphcls.splits import make_split
from imbgraph.graphcls.train import TrainConfig


def test_gog_adjacency_and_propagation():
    knn = np.array([[1], [2], [1], [0]])
    members, (ei, w) = gog_adjacency(np.array([0]), knn)
    assert members.tolist() == [0, 1]  # graph 0 padded with its neighbour 1
    dense = torch.zeros(2, 2)
    dense[ei[0], ei[1]] = w
    # A + I = [[1, 1], [1, 1]], degrees 2: every entry 1/2
    torch.testing.assert_close(dense, torch.full((2, 2), 0.5))
    h = torch.tensor([[1.0], [3.0]])
    torch.testing.assert_close(propagate(h, (ei, w), 1), torch.tensor([[2.0], [2.0]]))


def inputs(coll, knn, prop_layers: int) -> MethodInputs:
    split = make_split(coll.y, coll.sizes, "class_imbalance",
                       {"train": 40, "val": 20, "ratio": 0.3}, seed=0)
    params = {"head_dropout": 0.5, "prop_layers": prop_layers, "k": 2}
    return MethodInputs(collection=coll, pe=random_walk_pe(coll, 3), split=split,
                        settings={"model": {"name": "gin", "hidden": 8, "layers": 1},
                                  "params": params},
                        params=params, seed=0, device=torch.device("cpu"),
                        rng=np.random.default_rng(0), train=TrainConfig(),
                        cached={"knn": knn})


def test_batches_are_padded_and_read_back_in_order(tiny):
    knn = kernel_knn(tiny, 2, kernel="wl")
    ids = np.array([5, 3, 70])
    out = {}
    for layers in (0, 2):
        torch.manual_seed(0)
        learner, batcher = build(inputs(tiny, knn, layers))
        b = batcher(ids)
        members = np.unique(np.concatenate([ids, knn[ids].ravel()]))
        assert b["padded"].ids.tolist() == members.tolist()
        assert b["y"].tolist() == tiny.y[ids].tolist() == learner.labels(b).tolist()
        assert members[b["pos"].numpy()].tolist() == ids.tolist()
        out[layers] = learner.eval().log_proba(b)
        assert out[layers].shape == (3, tiny.num_classes)
    assert not torch.allclose(out[0], out[2])  # the neighbours enter through propagation
