"""Tests of imbgraph.nodecls.ecgn_jobs, the shared plumbing of the cluster-based jobs and the
baselines of ECGN's Table 2: set-up (seeding, class weights, TrainConfig), scoring against
scikit-learn, the timings summary, cluster checks with messages naming the balancing, and
two exact reductions: "Cluster Features" equals plain training on the graph with the one-hot
cluster ids written into its features, and ClusterGCN with a single cluster equals plain
full-batch training. That every baseline beats chance and is seeded is in test_ecgn.py."""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.metrics import recall_score

from imbgraph.losses import effective_number_weights, inverse_frequency_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls import ecgn_jobs
from imbgraph.nodecls.balancing import LOSSES, weighted_ce
from imbgraph.nodecls.ecgn_jobs import (
    criterion_of,
    full_batch,
    group_recall,
    run_cb_sampling,
    run_cluster_features,
    run_cluster_gcn,
    run_clusters,
    run_summary,
    score_test,
    setup_run,
)
from imbgraph.nodecls.methods import run_method
from imbgraph.nodecls.train import TrainConfig


def quick(make_method, balancing: dict, *, dropout: float = 0.1, **train) -> dict:
    m = make_method(balancing, **{"max_epochs": 8, "patience": 4, **train})
    m["model"]["dropout"] = dropout
    return m


def train_counts(graph, split) -> np.ndarray:
    return np.bincount(graph.y[split.train], minlength=graph.num_classes)


# --- set-up -----------------------------------------------------------------------------------
def test_setup_run_tensors_seed_and_config(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "cb_sampling"}, select="loss", min_epochs=3, unknown_key=1)
    torch.manual_seed(123)
    before = time.perf_counter()
    run = setup_run(tiny_graph, tiny_split, m, 7, "cpu")
    drawn = torch.rand(4)
    torch.manual_seed(7)
    torch.testing.assert_close(drawn, torch.rand(4))  # seeded from the job's seed
    assert run.device == torch.device("cpu") and run.t0 >= before
    assert run.cfg == TrainConfig(max_epochs=60, patience=20, lr=0.01, weight_decay=5e-4,
                                  select="loss", min_epochs=3)  # unknown keys are ignored
    np.testing.assert_array_equal(run.x.numpy(), tiny_graph.x)
    np.testing.assert_array_equal(run.edge_index.numpy(), tiny_graph.edge_index)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(run, part).numpy(), getattr(tiny_split, part))
    assert run.y.dtype == torch.int64 and run.class_weight is None


@pytest.mark.parametrize("weights, params, reference", [
    ("inverse", {}, inverse_frequency_weights),
    ("effective_number", {"beta": 0.9}, lambda c: effective_number_weights(c, 0.9)),
])
def test_setup_run_class_weights_from_training_counts(tiny_graph, tiny_split, make_method,
                                                      weights, params, reference):
    m = make_method({"name": "cb_sampling"}, weights=weights)
    m["loss"]["class_weight_params"] = params
    run = setup_run(tiny_graph, tiny_split, m, 0, "cpu")
    counts = train_counts(tiny_graph, tiny_split)
    assert counts.tolist() == [10, 10, 5, 5]  # imbalance ratio 0.5 on classes 2, 3
    assert run.class_weight.dtype == torch.float32
    np.testing.assert_allclose(run.class_weight.numpy(), reference(counts), rtol=1e-6)


def test_criterion_of(make_method):
    assert criterion_of(make_method({"name": "cb_sampling"})) is weighted_ce
    m = make_method({"name": "cb_sampling"})
    m["loss"]["name"] = "focal"
    with pytest.raises(KeyError, match="focal"):
        criterion_of(m)


def test_full_batch_defaults_and_overrides(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "cb_sampling"}, weights="inverse")
    run = setup_run(tiny_graph, tiny_split, m, 0, "cpu")
    x = torch.cat([run.x, torch.ones(run.x.shape[0], 2)], dim=1)
    b = full_batch(x, run.edge_index, run, 4)
    assert b.x is x and b.y is run.y and b.train is run.train
    assert b.edge_index is run.edge_index and b.class_weight is run.class_weight
    assert b.new_per_class.tolist() == [0, 0, 0, 0] and b.adj.num_nodes == b.num_nodes == 180
    assert int(b.adj.deg.sum()) == tiny_graph.edge_index.shape[1]
    y, train = torch.zeros(180, dtype=torch.long), torch.tensor([1, 2])
    b2 = full_batch(x, run.edge_index, run, 4, y=y, train=train)
    assert b2.y is y and b2.train is train


# --- scoring and summary ----------------------------------------------------------------------
def test_group_recall_by_hand():
    y = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0, 0])
    assert group_recall(y, pred, [0, 1]) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert group_recall(y, pred, [1, 3]) == pytest.approx(2 / 3)  # class 3 absent: skipped
    assert group_recall(y, pred, [2]) == 0.0
    assert math.isnan(group_recall(y, pred, [3])) and math.isnan(group_recall(y, pred, []))


def test_score_test_against_sklearn(tiny_graph, tiny_split):
    g = torch.Generator().manual_seed(0)
    n_test = tiny_split.test.shape[0]
    proba = torch.softmax(torch.randn(n_test, 4, generator=g), dim=1).float()
    out = score_test(tiny_graph, tiny_split, proba, best_epoch=11)
    y = tiny_graph.y[tiny_split.test]
    p = proba.double().numpy()
    rec = recall_score(y, p.argmax(1), labels=[0, 1, 2, 3], average=None, zero_division=0)
    assert tiny_split.minority == (2, 3)
    assert out["minority_recall"] == pytest.approx((rec[2] + rec[3]) / 2)
    assert out["majority_recall"] == pytest.approx((rec[0] + rec[1]) / 2)
    assert out["train_size"] == 30 and out["best_epoch"] == 11 and out["n"] == n_test
    report = classification_report(y, p)
    assert {k: out[k] for k in report} == report
    assert set(out) == set(report) | {"minority_recall", "majority_recall", "train_size",
                                      "best_epoch"}


def test_run_summary(tiny_graph, tiny_split, make_method):
    run = setup_run(tiny_graph, tiny_split, make_method({"name": "cb_sampling"}), 0, "cpu")
    res = SimpleNamespace(seconds=2.0, pretrain_seconds=0.5, epochs=4)
    s = run_summary(run, res, clusters=3)
    assert s["seconds"] > 0 and s["train_seconds"] == 2.0 and s["pretrain_seconds"] == 0.5
    assert s["epochs"] == 4 and s["seconds_per_epoch"] == 0.5
    assert s["synthetic_per_step"] == 0 and s["device"] == "cpu" and s["clusters"] == 3
    assert run_summary(run, SimpleNamespace(seconds=3.0, pretrain_seconds=0.0,
                                            epochs=0))["seconds_per_epoch"] == 3.0


# --- clusters ---------------------------------------------------------------------------------
def test_run_clusters_k_and_errors():
    c = np.array([0, 2, 2, 1, 0], dtype=np.int32)
    got, k = run_clusters({"balancing": {"name": "cluster_gcn"}}, c, 5)
    assert k == 3 and got.dtype == np.int64 and got.tolist() == c.tolist()  # max id + 1
    assert run_clusters({"balancing": {"name": "x", "clusters": None}}, c, 5)[1] == 3
    assert run_clusters({"balancing": {"name": "x", "clusters": 5}}, c, 5)[1] == 5
    with pytest.raises(ValueError, match="balancing 'cluster_features' needs the dataset's "
                                         r"METIS clusters \(clusters=\.\.\.\)"):
        run_clusters({"balancing": {"name": "cluster_features"}}, None, 5)
    with pytest.raises(ValueError, match=r"clusters: cluster id 2 outside \[0, 2\)"):
        run_clusters({"balancing": {"name": "x", "clusters": 2}}, c, 5)
    with pytest.raises(ValueError, match=r"clusters: negative cluster id -1"):
        run_clusters({"balancing": {"name": "x", "clusters": 3}}, np.array([0, -1, 1]), 3)
    with pytest.raises(ValueError, match=r"clusters: expected an integer array of shape \(5,\)"):
        run_clusters({"balancing": {"name": "x"}}, c.astype(float), 5)


# --- the baselines ----------------------------------------------------------------------------
def test_cluster_features_is_plain_training_on_one_hot_features(tiny_graph, tiny_split,
                                                                make_method, monkeypatch):
    clusters = np.arange(tiny_graph.num_nodes) % 3
    widths = []
    build = ecgn_jobs.build_model
    monkeypatch.setattr(ecgn_jobs, "build_model",
                        lambda spec, d, c: widths.append(d) or build(spec, d, c))
    m = quick(make_method, {"name": "cluster_features", "clusters": 4})
    got, summary = run_cluster_features(tiny_graph, tiny_split, m, seed=3, clusters=clusters,
                                        device="cpu")
    assert widths == [16 + 4] and summary["clusters"] == 4  # k from the config: a zero column
    onehot = np.eye(4, dtype=np.float32)[clusters]
    graph = tiny_graph.with_features(np.concatenate([tiny_graph.x, onehot], axis=1))
    want, want_summary = run_method(graph, tiny_split, quick(make_method, {"name": "none"}),
                                    seed=3, device="cpu")
    assert got == want and summary["epochs"] == want_summary["epochs"]


def test_cluster_gcn_with_one_cluster_is_full_batch_training(tiny_graph, tiny_split,
                                                             make_method):
    # dropout 0: ClusterGCN's per-epoch shuffle draws from torch's generator, dropout would
    # then see other random numbers than the full-batch run
    m = quick(make_method, {"name": "cluster_gcn"}, dropout=0.0)
    got, summary = run_cluster_gcn(tiny_graph, tiny_split, m, seed=1, device="cpu",
                                   clusters=np.zeros(tiny_graph.num_nodes, dtype=np.int64))
    assert summary["clusters"] == 1 and summary["batches_per_epoch"] == 1
    want, want_summary = run_method(tiny_graph, tiny_split,
                                    quick(make_method, {"name": "none"}, dropout=0.0),
                                    seed=1, device="cpu")
    assert got["best_epoch"] == want["best_epoch"] and summary["epochs"] == want_summary["epochs"]
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-6), key


def test_cluster_gcn_batches_per_epoch(tiny_graph, tiny_split, make_method):
    clusters = np.arange(tiny_graph.num_nodes) % 5
    m = quick(make_method, {"name": "cluster_gcn", "clusters_per_batch": 2}, max_epochs=2)
    metrics, summary = run_cluster_gcn(tiny_graph, tiny_split, m, seed=0, device="cpu",
                                       clusters=clusters)
    assert summary["clusters"] == 5 and summary["batches_per_epoch"] == 3  # ceil(5 / 2)
    assert summary["epochs"] == 2 and metrics["n"] == tiny_split.test.shape[0]
    with pytest.raises(ValueError, match="balancing 'cluster_gcn' needs the dataset's METIS"):
        run_cluster_gcn(tiny_graph, tiny_split, m, seed=0, device="cpu")


def test_cb_sampling_passes_class_weights_and_samples(tiny_graph, tiny_split, make_method,
                                                     monkeypatch):
    seen = []

    def spy(logits, target, weight):
        seen.append((target.shape[0], weight))
        return weighted_ce(logits, target, weight)

    monkeypatch.setitem(LOSSES, "spy", spy)
    m = quick(make_method, {"name": "cb_sampling", "num_samples": 13}, weights="inverse",
              max_epochs=2)
    m["loss"]["name"] = "spy"
    metrics, summary = run_cb_sampling(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert len(seen) == summary["epochs"] == 2 and {n for n, _ in seen} == {13}
    want = inverse_frequency_weights(train_counts(tiny_graph, tiny_split))
    for _, w in seen:
        np.testing.assert_allclose(w.numpy(), want, rtol=1e-6)
    assert summary["synthetic_per_step"] == 0 and metrics["train_size"] == 30
    with pytest.raises(ValueError, match="num_samples = 0"):
        run_cb_sampling(tiny_graph, tiny_split,
                        quick(make_method, {"name": "cb_sampling", "num_samples": 0}),
                        seed=0, device="cpu")
