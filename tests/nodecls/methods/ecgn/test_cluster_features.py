"""Tests of imbgraph.nodecls.methods.ecgn.cluster_features: "Cluster Features" equals plain
training on the graph with the one-hot cluster ids written into its features (k from the
config: a cluster without nodes is a zero column)."""

from __future__ import annotations

import numpy as np

from imbgraph.nodecls.job import run_method
from imbgraph.nodecls.methods import base


def quick(make_method, balancing: dict) -> dict:
    return make_method(balancing, max_epochs=8, patience=4)


def test_cluster_features_is_plain_training_on_one_hot_features(tiny_graph, tiny_split,
                                                                make_method, monkeypatch):
    clusters = np.arange(tiny_graph.num_nodes) % 3
    widths = []
    build = base.build_model
    monkeypatch.setattr(base, "build_model",
                        lambda spec, d, c: widths.append(d) or build(spec, d, c))
    m = quick(make_method, {"name": "cluster_features", "clusters": 4})
    got, summary = run_method(tiny_graph, tiny_split, m, seed=3, device="cpu",
                              cached={"clusters": clusters})
    assert widths == [16 + 4] and summary["clusters"] == 4  # k from the config: a zero column
    onehot = np.eye(4, dtype=np.float32)[clusters]
    graph = tiny_graph.with_features(np.concatenate([tiny_graph.x, onehot], axis=1))
    want, want_summary = run_method(graph, tiny_split, quick(make_method, {"name": "none"}),
                                    seed=3, device="cpu")
    assert got == want and summary["epochs"] == want_summary["epochs"]
