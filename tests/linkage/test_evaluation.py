"""Tests of imbgraph.linkage.evaluation: scored unique test edges, clusters of every test
node, metrics that depend on config and seed only, and timings kept apart."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graph import undirected_mean
from imbgraph.knn import search
from imbgraph.linkage.evaluation import evaluate_model
from imbgraph.linkage.inference import predict_pairs
from imbgraph.linkage.models import LGCN
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")


def test_evaluate_model_outputs():
    split = synthesize_faces(FaceDomain(dim=8, identities={"test": 20}, max_size=10,
                                        seed=4))["test"]
    nbr = search(split.features, 6).nbr
    sets = build_supersets(nbr, np.arange(len(split)), IpsSpec(k1=4, k2=2, u=2))
    torch.manual_seed(0)
    model = LGCN(8, hidden=(8,), head=4)
    prop = {"max_size": 10, "step": 0.6, "max_iter": None}
    table, clusters, metrics, timings = evaluate_model(
        model, sets, split.features, split.labels, k1=4, propagation=prop)
    assert table.column_names == ["src", "dst", "score", "label"]
    src, dst = table["src"].to_numpy(), table["dst"].to_numpy()
    assert np.all(src < dst)
    # The table is the pooled pairs of inference; labels say "same identity".
    p, t, raw = predict_pairs(model, sets, split.features, 4)
    edges, scores = undirected_mean(p, t, raw)
    np.testing.assert_array_equal(np.stack([src, dst], 1), edges)
    np.testing.assert_allclose(table["score"].to_numpy(), scores)
    np.testing.assert_array_equal(table["label"].to_numpy(),
                                  split.labels[src] == split.labels[dst])
    assert clusters.shape == (len(split),) and np.bincount(clusters).max() <= 10
    assert metrics["n_edges"] == len(edges)
    for key in ("pr_auc_ap", "pr_auc_trapz", "bcubed_f", "pairwise_f", "nmi",
                "positive_rate"):
        assert 0 <= metrics[key] <= 1, key
    assert "bcubed_f_nosingle" in metrics and "n_singletons" in metrics
    assert not any("second" in k or k == "wall_s" for k in metrics)
    assert set(timings) == {"seconds_predict", "seconds_propagate", "wall_s"}
