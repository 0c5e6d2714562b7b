"""Tests of imbgraph.nodecls.methods.ecgn.method through the shared job: every cluster-based
method of ECGN's Table 2 (and the Table 3 / Table 4 variants) trains on a tiny graph and beats chance; runs are seeded, a
cached pre-training gives the in-process numbers, and the edge cases (clusters without
training nodes, a minority class with one training node, isolated nodes and several
components, missing clusters) behave as documented."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.errors import ConfigError
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.data.synthetic import contextual_sbm
from imbgraph.nodecls.job import prepare, run_method
from imbgraph.nodecls.methods.ecgn.clusters import node_clusters
from imbgraph.nodecls.methods.ecgn.method import transfer_state
from imbgraph.nodecls.methods.ecgn.pretrain import ClusterPretrain, run_pretrain
from imbgraph.nodecls.methods.ecgn.settings import pretrain_key as settings_key
from imbgraph.nodecls.methods.ecgn.settings import pretrain_settings

pytest.importorskip("pymetis")


def pretrain_key(method):
    return settings_key(pretrain_settings(prepare(method)[1]))


SPLIT = {"protocol": "artificial", "minority": [2, 3], "imbalance_ratio": 0.5,
         "train_per_class": 10, "val_per_class": 10, "test_per_class": 20}
TRAIN = {"max_epochs": 60, "patience": 20, "lr": 0.01, "weight_decay": 5e-4,
         "select": "macro_f1"}


@pytest.fixture(scope="module")
def graph():
    return contextual_sbm([50, 50, 40, 40], avg_degree=5, homophily=0.85, feature_dim=16,
                          feature_signal=2.5, feature_noise=1.0, seed=3)


@pytest.fixture(scope="module")
def split(graph):
    return make_split(graph.y, graph.class_names, SPLIT, seed=0)


@pytest.fixture(scope="module")
def clusters(graph):
    return node_clusters(graph, 3, seed=0)


def method(balancing: dict, **train) -> dict:
    return {"label": "t", "model": {"name": "sage", "hidden": 12, "dropout": 0.1,
                                    "encoder_layers": 1, "classifier_layers": 1},
            "balancing": balancing, "loss": {"name": "ce", "class_weights": "none"},
            "train": {**TRAIN, **train}}


METHODS = {
    "CB-Sampling": {"name": "cb_sampling"},
    "GraphSAGE (Cluster Features)": {"name": "cluster_features", "clusters": 3},
    "ClusterGCN": {"name": "cluster_gcn", "clusters": 3},
    "ClusterGCN q=2": {"name": "cluster_gcn", "clusters": 3, "clusters_per_batch": 2},
    "Cluster-Aware SMOTE only": {"name": "ecgn", "clusters": 3, "pretrain": False,
                                 "target": 10},
    "ECGN (Without SMOTE)": {"name": "ecgn", "clusters": 3, "smote": False},
    "ECGN": {"name": "ecgn", "clusters": 3, "target": 10, "pretrain_epochs": 60},
    "ECGN unsmoothed": {"name": "ecgn", "clusters": 3, "target": 10, "smooth": False},
    "ECGN scale": {"name": "ecgn", "clusters": 3, "scale": 1.0},
    "Without global integration": {"name": "ecgn", "clusters": 3, "inference": "local"},
    "Average": {"name": "ecgn", "clusters": 3, "target": 10, "transfer": "average"},
    "Largest": {"name": "ecgn", "clusters": 3, "target": 10, "transfer": "largest"},
    "Best": {"name": "ecgn", "clusters": 3, "target": 10, "transfer": "best"},
}


def run(graph, split, clusters, bal, seed=0, pretrained=None):
    return run_method(graph, split, method(bal), seed=seed, device="cpu",
                      cached={"clusters": clusters, "pretrain": pretrained})


@pytest.mark.parametrize("label", list(METHODS))
def test_each_method_beats_chance(graph, split, clusters, label):
    metrics, summary = run(graph, split, clusters, METHODS[label])
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
    assert metrics["macro_f1"] > 0.4
    assert metrics["n"] == split.test.shape[0]
    assert metrics["train_size"] == split.train.shape[0]
    assert summary["seconds"] > 0


def test_metric_keys_equal_the_familys(graph, split, clusters):
    ours, summary = run(graph, split, clusters, METHODS["ECGN"])
    theirs, their_summary = run_method(graph, split, method({"name": "none"}), seed=0,
                                       device="cpu")
    assert set(ours) == set(theirs)
    assert set(their_summary) <= set(summary)
    assert summary["synthetic_nodes"] == 8 and summary["clusters"] == 3  # 2 x min(10-5, 4)


def test_seeded_and_distinct(graph, split, clusters):
    bal = METHODS["ECGN"]
    a, _ = run(graph, split, clusters, bal, seed=0)
    b, _ = run(graph, split, clusters, bal, seed=0)
    c, _ = run(graph, split, clusters, bal, seed=4)
    assert a == b and a != c


def test_loop_order_does_not_matter(graph, split, clusters):
    bal = METHODS["ClusterGCN"]
    alone, _ = run(graph, split, clusters, bal, seed=1)
    run(graph, split, clusters, bal, seed=0)  # shifts every global generator state
    again, _ = run(graph, split, clusters, bal, seed=1)
    assert alone == again


def test_cached_pretraining_gives_the_in_process_numbers(graph, split, clusters):
    bal = METHODS["ECGN"]
    inline, _ = run(graph, split, clusters, bal, seed=2)
    pre = run_pretrain(graph, split, prepare(method(bal))[1], seed=2, clusters=clusters,
                       device="cpu")
    cached = ClusterPretrain.from_record(pre.to_record())
    reused, summary = run(graph, split, clusters, bal, seed=2, pretrained=cached)
    assert inline == reused
    assert summary["pretrain_epochs"] == pre.epochs
    # the variants that share it differ only after pre-training
    variant = {**bal, "transfer": "best", "smote": False, "inference": "local"}
    settings = lambda b: pretrain_settings(prepare(method(b))[1])  # noqa: E731
    assert settings(bal) == settings(variant)
    assert settings(bal) != settings({**bal, "clusters": 4})
    assert pretrain_key(method(bal)) == pretrain_key(method(variant))
    assert pretrain_key(method(bal)) == pretrain_key(method({**bal, "clusters": 4}))  # k aside
    assert pretrain_key(method(bal)) != pretrain_key(method({**bal, "pretrain_epochs": 7}))
    assert len(pretrain_key(method(bal))) == 10


def test_pretraining_of_another_k_is_refused(graph, split, clusters):
    m = prepare(method({"name": "ecgn", "clusters": 3, "smote": False}))[1]
    pre = run_pretrain(graph, split, m,
                       seed=0, clusters=clusters, device="cpu")
    with pytest.raises(ValueError, match="pre-training of 3 clusters .* a run with 4"):
        run(graph, split, clusters, {"name": "ecgn", "clusters": 4, "smote": False},
            pretrained=pre)


# --- edge cases -----------------------------------------------------------------------------
def test_cluster_without_training_nodes(graph, split):
    # cluster 2 holds only test nodes: its network keeps the shared initialisation
    c = np.zeros(graph.num_nodes, np.int32)
    c[split.test] = 2
    c[split.val[::2]] = 1
    c[split.train[::3]] = 1
    metrics, summary = run(graph, split, c, METHODS["ECGN"])
    assert summary["cluster_best_epoch"][2] == -1
    assert summary["cluster_val_macro_f1"][2] is None
    assert metrics["acc"] > 0.4
    for name in ("Best", "Average", "Without global integration"):
        assert np.isfinite(run(graph, split, c, METHODS[name])[0]["macro_f1"])


def test_cluster_without_any_class_member(graph, split, clusters):
    # every training node of class 3 sits in cluster 0: the others never see class 3
    c = clusters.copy()
    third = split.train[graph.y[split.train] == 3]
    c[third] = 0
    metrics, _ = run(graph, split, c, METHODS["ECGN"])
    assert metrics["acc"] > 0.5


def test_minority_class_with_a_single_training_node(graph, caplog):
    spec = {**SPLIT, "imbalance_ratio": 0.1}  # int(10 x 0.1) = 1 training node
    split = make_split(graph.y, graph.class_names, spec, seed=0)
    c = node_clusters(graph, 3, seed=0)
    metrics, summary = run(graph, split, c, METHODS["ECGN"])
    assert "single training node" in caplog.text
    assert summary["synthetic_nodes"] == 2 * 4  # capped below half of 10
    assert np.isfinite(metrics["macro_f1"])


def test_isolated_nodes_and_several_components():
    a = contextual_sbm([30, 30, 20], avg_degree=4, homophily=0.9, feature_dim=8,
                       feature_signal=2.5, seed=1)
    b = contextual_sbm([30, 30, 20], avg_degree=4, homophily=0.9, feature_dim=8,
                       feature_signal=2.5, seed=2)
    n = a.num_nodes
    x = np.concatenate([a.x, b.x, a.x[:5]])  # two components plus five isolated nodes
    y = np.concatenate([a.y, b.y, a.y[:5]])
    src = np.concatenate([a.edge_index[0], b.edge_index[0] + n])
    dst = np.concatenate([a.edge_index[1], b.edge_index[1] + n])
    g = NodeGraph.from_edges(x, src, dst, y, a.class_names)
    assert (g.degree() == 0).sum() >= 5
    split = make_split(g.y, g.class_names, {**SPLIT, "minority": [2],
                                            "test_per_class": None}, seed=0)
    c = node_clusters(g, 4, seed=0)
    for label in ("ECGN", "ClusterGCN", "GraphSAGE (Cluster Features)", "ECGN unsmoothed"):
        metrics, _ = run(g, split, c, {**METHODS[label], "clusters": 4})
        assert metrics["acc"] > 0.4, label


def test_clusters_are_required_and_checked(graph, split, clusters):
    with pytest.raises(ValueError, match="needs the dataset's METIS clusters"):
        run(graph, split, None, METHODS["ECGN"])
    with pytest.raises(ValueError, match="cluster id 2 outside"):
        run(graph, split, clusters, {**METHODS["ClusterGCN"], "clusters": 2})
    with pytest.raises(ValueError, match="shape"):
        run(graph, split, clusters[:-1], METHODS["ClusterGCN"])


def test_local_inference_and_transfer_need_pretraining(graph, split, clusters):
    for bal in ({"name": "ecgn", "clusters": 3, "pretrain": False, "inference": "local"},
                {"name": "ecgn", "clusters": 3, "pretrain": False, "transfer": "best",
                 "target": 10}):
        with pytest.raises(ConfigError, match="pretrain: true"):
            run(graph, split, clusters, bal)


def test_smote_without_an_amount_is_refused(graph, split, clusters):
    # resolution gives it one (the split's scale); before training, the job says so
    with pytest.raises(ConfigError, match="balancing has no over-sampling amount"):
        run(graph, split, clusters, {"name": "ecgn", "clusters": 3})


# --- weight transfer ------------------------------------------------------------------------
def fake_pretrain(sizes, val, trained):
    k = len(sizes)
    state = {"w": torch.arange(k, dtype=torch.float32)[:, None].repeat(1, 2)}
    return ClusterPretrain(torch.zeros(1, 1), torch.zeros(1, 2), state,
                           torch.tensor(val, dtype=torch.float64),
                           torch.zeros(k, dtype=torch.long), torch.tensor(trained),
                           torch.tensor(sizes), 1, 0.0)


def test_transfer_strategies_pick_the_right_cluster():
    nan = float("nan")
    pre = fake_pretrain([10, 30, 30, 50], [0.2, 0.9, 0.9, nan], [True, True, True, False])
    assert transfer_state(pre, "largest")["w"].tolist() == [1.0, 1.0]  # 50 is untrained
    assert transfer_state(pre, "best")["w"].tolist() == [1.0, 1.0]     # tie: lowest id
    assert transfer_state(pre, "average")["w"].tolist() == [1.0, 1.0]  # mean of 0, 1, 2
    no_val = fake_pretrain([10, 30], [nan, nan], [True, True])
    assert transfer_state(no_val, "best")["w"].tolist() == [1.0, 1.0]  # falls back to largest
    with pytest.raises(ValueError, match="no cluster had a training node"):
        transfer_state(fake_pretrain([3], [nan], [False]), "average")
    with pytest.raises(ValueError, match="transfer = 'median'"):
        transfer_state(pre, "median")


def test_transfer_copies_matching_shapes_only(graph, split, clusters):
    _, summary = run(graph, split, clusters, METHODS["Largest"])
    # the first convolution reads 12-d embeddings, not 16-d features: fresh initialisation
    assert summary["transferred"] == ["classifier.0.conv.lin_l.weight",
                                      "classifier.0.conv.lin_l.bias",
                                      "classifier.0.conv.lin_r.weight", "lin.weight",
                                      "lin.bias"]


@pytest.mark.parametrize("label", ["GraphSAGE (Cluster Features)", "ClusterGCN",
                                   "Cluster-Aware SMOTE only"])
def test_own_jobs_follow_the_selection_protocol(graph, split, clusters, label):
    # the own-job methods train through imbgraph.nodecls.train.fit with the method's
    # TrainConfig: no epoch before select_from is selected, patience counts from it, and the
    # summary carries the selection score that tuning compares
    m = method(METHODS[label], max_epochs=20, patience=3, select_from=8, smooth=2)
    metrics, summary = run_method(graph, split, m, seed=0, device="cpu",
                                  cached={"clusters": clusters})
    assert metrics["best_epoch"] >= 8 and summary["epochs"] >= 8 + 3
    assert 0.0 < summary["val_score"] <= 1.0
